"""kg completion: scripts generated from the parser complete subcommands, options, choices and query names."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from graph.cli import main, make_parser
from graph.completion import walk
from graph.config import default_settings
from graph.queries import load_catalogue

BASH = shutil.which("bash")


def _complete(script: str, words: list[str], folder: Path) -> list[str]:
    """Source ``script`` in a real bash, complete the last of ``words``, return COMPREPLY."""
    assert BASH is not None, "bash is needed to run the completion script"
    path = folder / "kg.bash"
    path.write_text(script, encoding="utf-8")
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    program = (f'source {path}\nCOMP_WORDS=({quoted})\nCOMP_CWORD={len(words) - 1}\n'
               '_kg_complete\nprintf "%s\\n" "${COMPREPLY[@]}"\n')
    done = subprocess.run([BASH, "--noprofile", "--norc", "-c", program], capture_output=True, text=True,
                          cwd=folder, check=True, timeout=30)
    assert done.stderr == ""
    return [line for line in done.stdout.splitlines() if line]


@pytest.fixture(scope="module")
def script() -> str:
    from graph.completion import completion_script

    names = list(load_catalogue(default_settings().queries_dir))
    return completion_script(make_parser(), "bash", {("query",): names})


def test_kg_completion_prints_the_script(capsys: pytest.CaptureFixture[str], script: str) -> None:
    assert main(["completion", "bash"]) == 0
    assert capsys.readouterr().out == script
    assert script.rstrip().endswith("complete -F _kg_complete kg")


@pytest.mark.parametrize(("words", "expected"), [
    (["kg", "qu"], ["queries", "query"]),                                   # a subcommand
    (["kg", "-v", "ex"], ["export"]),                                       # after a global option
    (["kg", "export", "n"], ["network"]),                                   # a nested subcommand
    (["kg", "query", "--fo"], ["--format"]),                                # an option
    (["kg", "query", "--format", "t"], ["table", "tsv", "turtle"]),          # an option's choices
    (["kg", "coverage", "--lang", ""], ["sv", "en"]),
    (["kg", "validate", "--severity", "w"], ["warning"]),
    (["kg", "completion", "z"], ["zsh"]),
    (["kg", "query", "--lang", "en", "agency-t"], ["agency-touchpoints"]),  # a catalogued query name
    (["kg", "query", "--param", "agency=x", "council-m"], ["council-members"]),
])
def test_bash_completes(words: list[str], expected: list[str], script: str, tmp_path: Path) -> None:
    assert sorted(_complete(script, words, tmp_path)) == sorted(expected)


def test_bash_completes_every_query_name_and_files_for_file_options(script: str, tmp_path: Path) -> None:
    names = set(load_catalogue(default_settings().queries_dir))
    assert set(_complete(script, ["kg", "query", ""], tmp_path)) == names
    (tmp_path / "mine.rq").write_text("ASK {}", encoding="utf-8")
    assert _complete(script, ["kg", "query", "--file", "mi"], tmp_path) == ["mine.rq"]
    assert _complete(script, ["kg", "query", "--param", ""], tmp_path) == []  # a free value: nothing to offer


def test_every_subcommand_and_option_of_the_parser_is_in_each_script(capsys: pytest.CaptureFixture[str]) -> None:
    commands = list(walk(make_parser()))
    assert {" ".join(c.path) for c in commands} >= {"", "query", "export network", "completion", "serve"}
    for shell in ("bash", "zsh", "fish"):
        assert main(["completion", shell]) == 0
        text = capsys.readouterr().out
        for command in commands:
            for name in command.subcommands:
                assert name in text, (shell, name)
            for option in command.options:
                assert option.flags[-1].lstrip("-") in text, (shell, option.flags)
    assert main(["completion", "fish"]) == 0
    fish = capsys.readouterr().out
    assert "complete -c kg -n __fish_use_subcommand -a query" in fish
    assert "-l format -x -a 'json xml csv tsv table turtle ntriples jsonld rdfxml'" in fish


def shell_program(shell: str) -> str:
    """Return the path of ``shell``; fail (never skip) when it is missing, saying how to get it."""
    program = shutil.which(shell)
    if program is None:
        pytest.fail(f"{shell} is not installed: the completion tests run it (apt-get install zsh fish; .ci/run does)")
    return program


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_scripts_parse(shell: str, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    program = shell_program(shell)
    assert main(["completion", shell]) == 0
    path = tmp_path / f"kg.{shell}"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    subprocess.run([program, "-n", str(path)], check=True, timeout=30)


def test_zsh_script_offers_the_same(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    zsh = shell_program("zsh")
    assert main(["completion", "zsh"]) == 0
    path = tmp_path / "_kg"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    # compadd and _files work only inside zsh's completion system: stand-ins print what is offered.
    program = (f"compdef() {{ print -r -- registered $@ }}; source {path}; "
               "compadd() { shift; print -rl -- $@ }; _files() { print -r -- FILES }; "
               "words=(kg query --format ''); CURRENT=4; _kg_complete; "
               "words=(kg export ''); CURRENT=3; _kg_complete; "
               "words=(kg query --graph ''); CURRENT=4; _kg_complete")
    done = subprocess.run([zsh, "-f", "-c", program], capture_output=True, text=True, check=True, timeout=30)
    lines = done.stdout.split()
    assert lines[:3] == ["registered", "_kg_complete", "kg"]
    assert lines[3:] == ["json", "xml", "csv", "tsv", "table", "turtle", "ntriples", "jsonld", "rdfxml",
                         "network", "FILES"]


def test_fish_script_offers_the_same(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    fish = shell_program("fish")
    assert main(["completion", "fish"]) == 0
    path = tmp_path / "kg.fish"
    path.write_text(capsys.readouterr().out, encoding="utf-8")
    program = (f"source {path}; complete -C 'kg qu'; complete -C 'kg query --format t'; "
               "complete -C 'kg query agency-t'; complete -C 'kg export n'")
    done = subprocess.run([fish, "--no-config", "-c", program], capture_output=True, text=True, check=True,
                          timeout=30)
    offered = [line.split("\t")[0] for line in done.stdout.splitlines()]
    assert offered == ["queries", "query", "table", "tsv", "turtle", "agency-touchpoints", "network"]
