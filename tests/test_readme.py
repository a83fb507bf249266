"""The README's two commands are the ones CI and users run."""

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _commands() -> list[str]:
    readme = (REPO / "README.md").read_text()
    section = readme.split("## Two commands for a fresh machine", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, re.DOTALL)


def test_ci_runs_the_readme_test_command():
    demo, tests = _commands()
    assert demo.endswith("peer-review demo") and "pip install ." in demo
    assert "python3 -m venv .venv" in tests and tests in (REPO / ".ci" / "run").read_text()
