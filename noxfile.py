"""The clerk-chat-client pipeline: swagger.yml -> generated/ -> tests -> dist/ -> an index.

Every session is a thin shell around a module of `pipeline/` (or pytest), so that what a session
does can be read, run and tested without nox. The toolchain is pinned in `requirements/*.txt`
(compiled from the `.in` files beside them) and nox itself here, so that generation is
byte-for-byte reproducible.
"""

from __future__ import annotations

from pathlib import Path

import nox
from nox.command import CommandFailed

nox.needs_version = "==2026.10.20"
nox.options.default_venv_backend = "uv|virtualenv"  # sessions run on the interpreter that runs nox
nox.options.reuse_venv = "yes"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["generate", "tests", "build"]

ROOT = Path(__file__).parent
GENERATE_LOCK = "requirements/generate.txt"
TESTS_LOCK = "requirements/tests.txt"
BENCH_LOCK = "requirements/bench.txt"
PACKAGE_DIR = "generated/clerk-chat-client"
BREAKING = 3  # pipeline/update_spec.py's exit code for "a breaking change applied"
NODE_PROJECT = "tests/contract"


def _install_lock(session: nox.Session, lock: str) -> None:
    """Install a lock file; skipped on a reused venv whose lock has not changed (warm runs).

    Compiled to bytecode at install (pip does it by default, uv on request, for every package, so
    reinstalled): where Python may not write bytecode (PYTHONDONTWRITEBYTECODE, as on this project's
    machines), every run would otherwise compile the toolchain it imports again, about half a
    second of each `nox -s generate`.
    """
    stamp = Path(session.virtualenv.location) / ".lock-installed"
    wanted = "compiled\n" + (ROOT / lock).read_text(encoding="utf-8")
    if stamp.exists() and stamp.read_text(encoding="utf-8") == wanted:
        return
    compile_bytecode = ["--reinstall", "--compile-bytecode"] if session.venv_backend == "uv" else []
    session.install(*compile_bytecode, "-r", lock)
    stamp.write_text(wanted, encoding="utf-8")


def _install_generated(session: nox.Session) -> None:
    """Install generated/ as users get it (not editable), fresh every run."""
    reinstall = "--reinstall" if session.venv_backend == "uv" else "--force-reinstall"
    session.install("--no-deps", reinstall, PACKAGE_DIR)


def _install_node_packages(session: nox.Session) -> None:
    """Prism for the contract tests, with the Node.js that requirements/tests.txt installs."""
    lock = ROOT / NODE_PROJECT / "package-lock.json"
    stamp = ROOT / NODE_PROJECT / "node_modules" / ".lock-installed"
    if stamp.exists() and stamp.read_bytes() == lock.read_bytes():
        return
    session.run("npm", "ci", "--prefix", NODE_PROJECT, "--no-audit", "--no-fund", "--loglevel=error")
    stamp.write_bytes(lock.read_bytes())


@nox.session
def generate(session: nox.Session) -> None:
    """Regenerate generated/ from swagger.yml (validate, generate, overlay, lint, type-check, swap)."""
    _install_lock(session, GENERATE_LOCK)
    session.run("python", "-m", "pipeline.generate", *session.posargs)


@nox.session(name="update-spec")
def update_spec(session: nox.Session) -> None:
    """Fetch Clerk's spec (SOURCE: URL or file; else $CLERK_CHAT_SPEC_URL), validate, apply, regenerate.

    Exits like the module: 0 unchanged or non-breaking, 1 refused, 3 a breaking change applied.
    nox itself only exits 0 or 1, so a 3 leaves it as SystemExit, for CI to tell "review" from "failed".
    """
    _install_lock(session, GENERATE_LOCK)
    try:
        session.run("python", "-m", "pipeline.update_spec", *session.posargs)
    except CommandFailed as failed:
        if failed.return_code == BREAKING:
            raise SystemExit(BREAKING) from None
        raise


@nox.session
def check(session: nox.Session) -> None:
    """Fail, naming the files, when generated/ differs from a fresh generation."""
    _install_lock(session, GENERATE_LOCK)
    session.run("python", "-m", "pipeline.generate", "--check", *session.posargs)


@nox.session
def tests(session: nox.Session) -> None:
    """Run `check`, then the whole test suite (pytest arguments pass through)."""
    _install_lock(session, TESTS_LOCK)
    _install_node_packages(session)
    _install_generated(session)
    session.run("python", "-m", "pipeline.generate", "--check")
    session.run("python", "-m", "pytest", *session.posargs)


@nox.session
def build(session: nox.Session) -> None:
    """Build the wheel and sdist of generated/ into dist/ and check them."""
    _install_lock(session, TESTS_LOCK)
    session.run("python", "-m", "pipeline.build", *session.posargs)


@nox.session
def publish(session: nox.Session) -> None:
    """Upload dist/ to the index named by twine's environment (default: a local pypiserver)."""
    _install_lock(session, TESTS_LOCK)
    session.run("python", "-m", "pipeline.publish", *session.posargs)


@nox.session(name="local-index")
def local_index(session: nox.Session) -> None:
    """Start, stop or show the local pypiserver that `publish` uses by default (start|stop|status)."""
    _install_lock(session, TESTS_LOCK)
    session.run("python", "-m", "pipeline.local_index", *(session.posargs or ["status"]))


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmark ClerkChatClient (resources and generated functions) against raw httpx2 (the floor), raw httpx, the
    generated client and anthropic's generic call; rate-limit headers, a paginated walk, and the pipeline and import on
    synthetic specs of 1 to 800 operations (`-- --quick`: a smoke run)."""
    _install_lock(session, BENCH_LOCK)
    _install_generated(session)
    session.run("python", "-m", "mypy", "--strict", "--explicit-package-bases", "benchmarks")  # its deps live here
    session.run("python", "-m", "benchmarks.run", *session.posargs)
