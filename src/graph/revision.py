"""Build the graph from the sources as they were at a git revision.

The revision's ``ontology/`` and ``data/`` folders are exported with ``git archive`` into a
temporary folder (the checkout and its worktree list stay untouched) and built there with
:func:`graph.build.build_graph`, under the version its ``pyproject.toml`` gave.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.build import build_graph
from graph.config import default_settings
from graph.errors import BuildError, RevisionError

SOURCE_FOLDERS = ("ontology", "data")


@dataclass(frozen=True)
class RevisionBuild:
    """The graph built from one revision's sources."""

    revision: str
    commit: str
    version: str
    store: ox.Store


def _git(checkout: Path, *args: str) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", "-C", str(checkout), *args], capture_output=True, check=False)
    except FileNotFoundError as exc:
        raise RevisionError("git is not installed, so revisions cannot be read. Install git, or "
                            "give built graphs (graph.nq or graph.trig).") from exc


def find_checkout(folder: Path) -> Path | None:
    """Return the top folder of the git checkout holding ``folder``, or ``None`` when there is none."""
    if not folder.is_dir():
        return None
    done = _git(folder, "rev-parse", "--show-toplevel")
    return Path(done.stdout.decode().strip()) if done.returncode == 0 else None


def resolve_revision(checkout: Path, revision: str) -> str:
    """Return the full commit hash ``revision`` names in ``checkout``.

    Raises:
        RevisionError: no such revision (the message says what to give instead).
    """
    done = None if revision.startswith("-") else _git(
        checkout, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{revision}^{{commit}}")
    if done is None or done.returncode != 0:
        raise RevisionError(f"'{revision}' is neither a file nor a revision of the git checkout {checkout}. "
                            "Give a built graph (graph.nq or graph.trig) or a revision such as HEAD, main~3 "
                            "or a commit hash (see 'git log --oneline').")
    return done.stdout.decode().strip()


def _version_at(checkout: Path, commit: str) -> str:
    done = _git(checkout, "show", f"{commit}:pyproject.toml")
    if done.returncode != 0:
        return "unknown"
    try:
        return str(tomllib.loads(done.stdout.decode("utf-8"))["project"]["version"])
    except (tomllib.TOMLDecodeError, KeyError, UnicodeDecodeError):
        return "unknown"


def build_revision(checkout: Path, revision: str,
                   progress: Callable[[str], None] | None = None) -> RevisionBuild:
    """Export the sources of ``revision`` from ``checkout`` and build them in memory.

    Args:
        checkout: a folder inside the git checkout.
        revision: anything ``git rev-parse`` understands (HEAD, main~3, a tag, a hash).
        progress: called with a short line before each slow step.

    Raises:
        RevisionError: unknown revision, or one without ``ontology/`` and ``data/``.
        BuildError: a source file at the revision does not parse (named as ``REV:path``).
    """
    say = progress or (lambda message: None)
    commit = resolve_revision(checkout, revision)
    listed = _git(checkout, "ls-tree", "--name-only", commit, *SOURCE_FOLDERS).stdout.decode().split()
    missing = [name for name in SOURCE_FOLDERS if name not in listed]
    if missing:
        raise RevisionError(f"revision '{revision}' ({commit[:7]}) has no {' or '.join(f'{m}/' for m in missing)} "
                            "folder, so it holds no graph sources. Pick a later revision.")
    named = revision if commit.startswith(revision.lower()) else f"{revision} ({commit[:7]})"
    say(f"exporting the sources of {named} ...")
    archive = _git(checkout, "archive", "--format=tar", commit, *SOURCE_FOLDERS)
    if archive.returncode != 0:
        raise RevisionError(f"git archive failed for '{revision}': {archive.stderr.decode().strip()}")
    version = _version_at(checkout, commit)
    with tempfile.TemporaryDirectory(prefix="kg-diff-") as tmp:
        with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later: refuse links out of tmp
                tar.extractall(tmp, filter="data")
            else:
                tar.extractall(tmp)
        root = Path(tmp)
        settings = default_settings(ontology_dir=root / "ontology", data_dir=root / "data", version=version)
        say(f"building the graph of {revision} (version {version}) ...")
        try:
            built = build_graph(settings, check_sources=False)  # history as it was: see build_graph
        except BuildError as exc:
            where = f"{revision}:{exc.path.relative_to(root)}" if exc.path else revision
            raise BuildError(exc.message, where, exc.line, exc.column) from exc
    say(f"built {revision}: {len(built)} quads")
    return RevisionBuild(revision, commit, version, built.store)
