"""The command line's tables follow the width the terminal (or COLUMNS) has when a command
prints, not when the module was imported, and stay whole at 80 columns."""

from pipelines.cli.common import console, table


def _render(t, monkeypatch, capsys, columns: int) -> list[str]:
    monkeypatch.setenv("COLUMNS", str(columns))
    capsys.readouterr()
    console.print(t)
    return capsys.readouterr().out.splitlines()


def test_the_width_is_read_when_printing(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    width_then = console.width
    monkeypatch.setenv("COLUMNS", "80")
    assert (width_then, console.width) == (200, 80)


def test_a_long_cell_wraps_whole_and_a_whole_column_never_wraps(monkeypatch, capsys):
    why = "data.object.metadata.tokens: Value error, must be a whole number in ASCII digits"
    run_id = "4d12b884-0b5e-4c5e-9a34-58c1d0e2f7aa"
    t = table("run id", "why", whole={"run id": 36})
    t.add_row(run_id, why)
    narrow = _render(t, monkeypatch, capsys, 80)
    assert max(len(line) for line in narrow) == 80
    assert "…" not in "".join(narrow)
    # every character of the reason is there, in order, across the wrapped lines
    cells = "".join(line.split("│")[2].strip() for line in narrow if line.startswith("│"))
    assert cells.replace(" ", "") == why.replace(" ", "")
    assert sum(run_id in line for line in narrow) == 1
    wide = _render(t, monkeypatch, capsys, 200)
    assert [line for line in wide if run_id in line and why in line]


def test_the_console_drives_a_progress_bar(monkeypatch, capsys):
    """`folio run` hands it to rich's Progress, which needs a whole Console (a stand-in
    object made the bar's refresh thread die)."""
    from rich.progress import Progress

    monkeypatch.setenv("COLUMNS", "60")
    with Progress(console=console) as bar:
        task = bar.add_task("staged", total=2)
        bar.update(task, completed=2)
    assert bar.finished and console.width == 60
