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
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import (
    failure_locations,
    generator,
    normalise,
    overlay,
    security,
    settings_module,
    spec,
    spec_cache,
    timings,
    trees,
)
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

if TYPE_CHECKING:
    from . import changes

STAGING = BUILD / "staging"
MYPY_CACHE = BUILD / "mypy-cache"
MYPY_CONFIG = BUILD / "mypy-generated.ini"
# Modules written by the generator from templates we do not override (models) or override only
# in part (api), where it casts defensively: `cast(list[Any], data)` right after
# `isinstance(data, list)` (a oneOf with an untyped array) is redundant, not wrong. Hand-written
# modules (overrides/package) are checked with no exception.
_GENERATOR_ONLY_MODULES = ("models", "api")


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
    with step("security & naming"):
        decision, readable = _decide(document)
    with step("settings & normalisation"):
        settings = settings_module.render(document, decision)
        staged_document = normalise.for_generator(decision.apply(readable))

    with step("staging"):
        shutil.rmtree(STAGING, ignore_errors=True)
        STAGING.mkdir(parents=True)
        staged_spec = STAGING / "openapi.json"
        staged_spec.write_text(json.dumps(staged_document, indent=1), encoding="utf-8")
    generated = STAGING / GENERATED.name
    project = generated / PROJECT_NAME
    try:
        with step(generator.STEP):
            generator.generate(staged_spec, CONFIG, TEMPLATES, project)
        with step("overlay"):
            (project / PACKAGE_NAME / "_settings.py").write_text(settings, encoding="utf-8")
            overlay.add_files(project, PACKAGE_NAME)  # after every generated file exists, so clashes are caught
        _run("ruff check", [sys.executable, "-m", "ruff", "check", "--no-cache", "--fix", "."], cwd=project)
        _run("ruff format", [sys.executable, "-m", "ruff", "format", "--no-cache", "."], cwd=project)
        MYPY_CONFIG.write_text(_mypy_config(), encoding="utf-8")
        mypy = [sys.executable, "-m", "mypy", "--strict", "--config-file", str(MYPY_CONFIG)]
        mypy += ["--cache-dir", str(MYPY_CACHE), "-p", PACKAGE_NAME]
        _run("mypy --strict", mypy, cwd=project)
    except PipelineError as exc:
        raise PipelineError(failure_locations.described(str(exc), document, staged_document, PACKAGE_NAME)) from exc
    return generated


def _decide(document: spec.Spec) -> tuple[security.Decision, dict[str, Any]]:
    """Security and naming, each listing all its problems; both lists at once if both fail."""
    failures: list[PipelineError] = []
    try:
        decision = security.decide(document)
    except PipelineError as exc:
        failures.append(exc)
    try:
        readable = with_readable_names(document)
    except PipelineError as exc:
        failures.append(exc)
    if failures:
        raise PipelineError("\n".join(str(failure) for failure in failures))
    return decision, readable


def _mypy_config() -> str:
    sections = [
        f"[mypy-{PACKAGE_NAME}.{module}.*]\ndisable_error_code = redundant-cast\n" for module in _GENERATOR_ONLY_MODULES
    ]
    return "[mypy]\n\n" + "\n".join(sections)


def replace_generated(staged: Path) -> None:
    """Swap the staged folder in for generated/ by renames on one filesystem."""
    outgoing = BUILD / "outgoing"
    shutil.rmtree(outgoing, ignore_errors=True)
    if GENERATED.exists():
        GENERATED.rename(outgoing)
    staged.rename(GENERATED)
    shutil.rmtree(outgoing, ignore_errors=True)


@dataclass(frozen=True)
class Regeneration:
    """What `regenerate` did: the files of generated/ it changed (none: already up to date) and,
    when it changed any, the API change report with the version bump."""

    files: trees.TreeDiff
    report: changes.ChangeReport | None


def regenerate() -> Regeneration:
    """`nox -s generate` minus the printing: stage, and when the result differs from generated/,
    bump the version, add the changelog entry and swap the staged tree in."""
    staged = stage()
    with step("tree compare"):
        diff = trees.compare(GENERATED, staged)
    if not diff:
        return Regeneration(diff, None)
    from . import changes  # griffe takes a quarter of a second to import: only a changed generation needs it

    previous = GENERATED_PROJECT if GENERATED_PROJECT.exists() else None
    with step("change report & version bump"):
        report = changes.report_and_bump(previous, staged / PROJECT_NAME, CONFIG, CHANGELOG)
    with step("tree compare"):
        files = trees.compare(GENERATED, staged)  # again: the version line moved
    with step("swap into generated/"):
        replace_generated(staged)
    return Regeneration(files, report)


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
    where = GENERATED.relative_to(ROOT)
    try:
        if check:
            staged = stage()
            with step("tree compare"):
                diff = trees.compare(GENERATED, staged)
            if diff:
                print(f"{where}/ differs from a fresh generation (run `nox -s generate`):", *diff.lines(), sep="\n")
                return 1
            print(f"{where}/ is up to date")
            return 0
        done = regenerate()
        if done.report is None:
            print(f"{where}/ is up to date: nothing changed")
            return 0
        print(f"{where}/ regenerated in {time.perf_counter() - started:.1f} s:", *done.files.lines(), sep="\n")
        print(done.report.render())
        return 0
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        print(f"{where}/ was left as it was.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
