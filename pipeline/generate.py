"""`nox -s generate` and `nox -s check`: swagger.yml -> a checked client -> generated/.

Everything happens in `.build/` first; `generated/` is replaced only once the new project has been
generated with warnings as errors, overlaid, formatted, lint-fixed and type-checked, so a broken
spec or a failing step leaves it exactly as it was.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

from . import generator, overlay, settings_module, spec_cache, timings, trees
from .errors import PipelineError
from .naming import with_readable_names
from .paths import (
    BUILD,
    CHANGELOG,
    CONFIG,
    GENERATED,
    GENERATED_PROJECT,
    PACKAGE_NAME,
    PROJECT_NAME,
    ROOT,
    SPEC,
    TEMPLATES,
)
from .timings import step

STAGING = BUILD / "staging"
MYPY_CACHE = BUILD / "mypy-cache"


def _run(name: str, args: list[str], cwd: Path) -> None:
    with step(name):
        result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        output = (result.stdout + result.stderr).strip()
        raise PipelineError(f"{name} failed:\n{output}")


def stage() -> Path:
    """Generate, overlay, format and type-check into .build/staging; return its generated/ folder.

    The whole folder is what gets compared with, and swapped in for, generated/: a stray file
    there is a difference like any other.
    """
    document = spec_cache.load(SPEC)
    with step("templates check"):
        overlay.check_templates()
    with step("settings"):
        settings = settings_module.render(document)
    with step("naming & hoisting"):
        readable = with_readable_names(document)

    with step("staging"):
        shutil.rmtree(STAGING, ignore_errors=True)
        STAGING.mkdir(parents=True)
        staged_spec = STAGING / "openapi.json"
        staged_spec.write_text(json.dumps(readable, indent=1), encoding="utf-8")
    generated = STAGING / GENERATED.name
    project = generated / PROJECT_NAME
    with step(generator.STEP):
        generator.generate(staged_spec, CONFIG, TEMPLATES, project)

    with step("overlay"):
        (project / PACKAGE_NAME / "_settings.py").write_text(settings, encoding="utf-8")
        overlay.add_files(project, PACKAGE_NAME)  # after every generated file exists, so clashes are caught
    _run("ruff check", [sys.executable, "-m", "ruff", "check", "--no-cache", "--fix", "."], cwd=project)
    _run("ruff format", [sys.executable, "-m", "ruff", "format", "--no-cache", "."], cwd=project)
    mypy = [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(MYPY_CACHE), "-p", PACKAGE_NAME]
    _run("mypy --strict", mypy, cwd=project)
    return generated


def replace_generated(staged: Path) -> None:
    """Swap the staged folder in for generated/ by renames on one filesystem."""
    outgoing = BUILD / "outgoing"
    shutil.rmtree(outgoing, ignore_errors=True)
    if GENERATED.exists():
        GENERATED.rename(outgoing)
    staged.rename(GENERATED)
    shutil.rmtree(outgoing, ignore_errors=True)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="only report whether generated/ is up to date")
    parser.add_argument("--timings", type=Path, metavar="FILE", help="write the wall time of each step to FILE (JSON)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    try:
        return _generate(args.check, started)
    finally:
        if args.timings is not None:
            timings.write(args.timings, time.perf_counter() - started)


def _generate(check: bool, started: float) -> int:
    try:
        staged = stage()
        with step("tree compare"):
            diff = trees.compare(GENERATED, staged)
        where = GENERATED.relative_to(ROOT)
        if check:
            if diff:
                print(f"{where}/ differs from a fresh generation (run `nox -s generate`):", *diff.lines(), sep="\n")
                return 1
            print(f"{where}/ is up to date")
            return 0
        if not diff:
            print(f"{where}/ is up to date: nothing changed")
            return 0
        previous = GENERATED_PROJECT if GENERATED_PROJECT.exists() else None
        from . import changes  # griffe takes a quarter of a second to import: only a changed generation needs it

        with step("change report & version bump"):
            report = changes.report_and_bump(previous, staged / PROJECT_NAME, CONFIG, CHANGELOG)
        with step("tree compare"):
            diff = trees.compare(GENERATED, staged)  # again: the version line moved
        with step("swap into generated/"):
            replace_generated(staged)
        print(f"{where}/ regenerated in {time.perf_counter() - started:.1f} s:", *diff.lines(), sep="\n")
        print(report.render())
        return 0
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"{GENERATED.relative_to(ROOT)}/ was left as it was.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
