"""No SQL is built from strings: values always travel as bound parameters. Any f-string or
%-formatting handed straight to `text()`, `exec_driver_sql()` or `execute()` fails this test
(migrations aside: they are history). Identifiers our own code names (a table from a fixed
set) are templated with `.replace`/`.format` in the few places that need them."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SQL_CALLS = {"text", "exec_driver_sql", "execute"}


def _offences(path: Path, root: Path = ROOT) -> list[str]:
    out = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = (
            node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        )
        arg = node.args[0]
        built = isinstance(arg, ast.JoinedStr) or (
            isinstance(arg, ast.BinOp) and isinstance(arg.op, ast.Mod)
        )
        if name in SQL_CALLS and built:
            out.append(
                (
                    node.lineno,
                    f"{path.relative_to(root)}:{node.lineno}: {name}() of a formatted string",
                )
            )
    return [text for _, text in sorted(out)]


def test_no_formatted_sql_outside_migrations():
    files = [
        p
        for d in ("pipelines", "assets", "sensors", "resources")
        for p in (ROOT / d).rglob("*.py")
        if "migrations" not in p.parts
    ]
    assert len(files) > 50
    assert [o for p in files for o in _offences(p)] == []


def test_the_check_catches_what_it_looks_for(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "conn.execute(text(f\"SELECT * FROM t WHERE name = '{name}'\"))\n"
        'conn.exec_driver_sql("DELETE FROM t WHERE id = %s" % ident)\n'
    )
    found = [o.split(": ", 1)[1] for o in _offences(bad, tmp_path)]
    assert found == ["text() of a formatted string", "exec_driver_sql() of a formatted string"]
