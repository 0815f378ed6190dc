"""docs/tutorial.md is executable: its python blocks run in order in one namespace, and each line
of its bash blocks (except `bash no-test`) runs through the mesacheck command and must exit 0."""
import contextlib
import io
import pathlib
import re
import shlex

import pytest

from mesacheck.cli.main import main

TUTORIAL = pathlib.Path(__file__).resolve().parent.parent / "docs" / "tutorial.md"
BLOCK = re.compile(r"^```([^\n]*)\n(.*?)^```", re.S | re.M)


def blocks():
    return [(info.strip(), body) for info, body in BLOCK.findall(TUTORIAL.read_text())]


def test_tutorial_has_python_and_shell_blocks():
    kinds = [info for info, _ in blocks()]
    assert kinds.count("python") >= 8 and kinds.count("bash") >= 2


@pytest.mark.slow
def test_tutorial_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "tutorial"}
    for k, (info, body) in enumerate(blocks()):
        if info == "python":
            code = compile(body, f"{TUTORIAL.name}[block {k}]", "exec")
            with contextlib.redirect_stdout(io.StringIO()):
                exec(code, namespace)  # our own documentation, run as a test
        elif info == "bash":
            for line in body.strip().splitlines():
                argv = shlex.split(line.split("#")[0])
                assert argv[0] == "mesacheck", line
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    code = main(argv[1:])
                assert code == 0, (line, out.getvalue()[-500:])
    assert (tmp_path / "laplace-limit.tex").exists()
