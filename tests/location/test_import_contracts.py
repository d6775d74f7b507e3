"""The import direction is a checked contract: `lint-imports` passes on the tree, and fails,
naming the import, when a planted import breaks a room's rule."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _copy(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    for name in ("pipelines", "assets", "resources", "sensors"):
        shutil.copytree(ROOT / name, tree / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tree / "pyproject.toml")
    return tree


def _lint(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=tree,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(tree), "PATH": str(LINT.parent)},
    )


def test_the_tree_keeps_every_contract(tmp_path):
    proc = _lint(_copy(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken." in proc.stdout


@pytest.mark.parametrize(
    "module, planted, contract, shown",
    [
        (
            "pipelines/county/merge.py",
            "import dagster",
            "The core knows nothing of Dagster",
            "pipelines.county.merge -> dagster",
        ),
        (
            "pipelines/leads/rules.py",
            "import pipelines.cli",
            "The core knows nothing of Dagster",
            "pipelines.leads.rules -> pipelines.cli",
        ),
        (
            "sensors/inbox.py",
            "import pipelines.http.app",
            "Rooms:",
            "sensors.inbox -> pipelines.http.app",
        ),
        (
            "pipelines/db/bulk.py",
            "import pipelines.county.merge",
            "Core domains, lowest first",
            "pipelines.db.bulk -> pipelines.county.merge",
        ),
    ],
)
def test_a_planted_violation_fails_naming_the_import(tmp_path, module, planted, contract, shown):
    tree = _copy(tmp_path)
    path = tree / module
    path.write_text(path.read_text() + f"\n{planted}  # planted by the test\n")
    proc = _lint(tree)
    assert proc.returncode == 1
    broken = proc.stdout[proc.stdout.index("Broken contracts") :]
    assert contract in broken and shown in broken, proc.stdout
