"""The command line's shape: every command reachable with its own help, a misspelt one suggested, plain
lines printed whole, and nothing printed that could rewrite the terminal."""

from __future__ import annotations


import typer

from conftest import EXAMPLE, run_cli
from peer_review import cli


def _run_main(monkeypatch, capsys, *args: str) -> tuple[int, str]:
    monkeypatch.setenv("COLUMNS", "200")
    code = cli.run(list(args))
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def _names(app: typer.Typer) -> list[str]:
    return [c.name or typer.main.get_command_name(c.callback.__name__) for c in app.registered_commands] + [g.name for g in app.registered_groups]


def test_every_command_and_group_answers_its_own_help(monkeypatch, capsys):
    names = _names(cli.app)
    assert {"status", "tasks", "submit", "demo", "task", "partnership", "headline-data"} <= set(names)
    for name in names:
        code, text = _run_main(monkeypatch, capsys, name, "--help")
        assert code == 0 and f"{name} [OPTIONS]" in text, (name, text[-500:])
    for group in cli.app.registered_groups:  # and each group's own commands
        for sub in _names(group.typer_instance):
            code, text = _run_main(monkeypatch, capsys, group.name, sub, "--help")
            assert code == 0 and f"{group.name} {sub} [OPTIONS]" in text, (group.name, sub, text[-500:])


def test_help_lists_every_command_and_a_misspelt_one_is_suggested(monkeypatch, capsys):
    code, text = _run_main(monkeypatch, capsys, "--help")
    assert code == 0 and all(name in text for name in _names(cli.app))
    code, text = _run_main(monkeypatch, capsys, "stauts")
    assert code == 2 and "No such command 'stauts'" in text and "status" in text
    code, text = _run_main(monkeypatch, capsys, "status", "--bogus")
    assert code == 2 and "No such option: --bogus" in text


def test_a_plain_line_is_printed_whole_even_when_piped(tmp_path):
    """Rich wrapped every line at 80 columns when the output was not a terminal, splitting a long name."""
    name = "The Very Long Name of a Partnership of Trusts Across South Yorkshire and the Peak District"
    path = tmp_path / "long.yaml"
    path.write_text(EXAMPLE.read_text().replace("name: Sheffield pilot triad", f"name: {name}", 1))
    result = run_cli("partnership", "load", path, env={"PEER_REVIEW_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [f"loaded '{name}': 3 trusts, 18 people"]


def test_control_characters_are_dropped_from_plain_lines(capsys):
    cli.out.print("a name\r\x1b[2Jwith \x07 controls\tand a tab")
    cli.err.print("\x08error\nsecond line")
    captured = capsys.readouterr()
    assert captured.out == "a name[2Jwith  controls\tand a tab\n"
    assert captured.err == "error\nsecond line\n"
