"""`nox -s build`: generated/clerk-chat-client -> dist/ (sdist, and the wheel built from it), checked.

The wheel is built from the sdist (build's default), so a broken sdist fails here and not on a
user's machine. Both files are then read back: what an index would show (metadata) and what a
user would install (file list) are checked, so a packaging slip never reaches the index.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from email.message import Message
from email.parser import BytesParser
from pathlib import Path, PurePosixPath

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    canonicalize_version,
    parse_sdist_filename,
    parse_wheel_filename,
)

from .errors import PipelineError
from .paths import GENERATED_PROJECT, PACKAGE_NAME, PROJECT_NAME, ROOT

DIST = ROOT / "dist"
RUNTIME_DEPENDENCIES = frozenset({"httpx2", "attrs", "python-dateutil"})
# Optional extras and what each may add (one package each): `pip install clerk-chat-client[redis]`.
OPTIONAL_DEPENDENCIES = {"redis": frozenset({"redis"})}
# Never shipped: caches, the repo's own tests and overrides, credentials.
FORBIDDEN_DIRS = frozenset(
    {
        "__pycache__",
        ".ruff_cache",
        ".mypy_cache",
        ".pytest_cache",
        "tests",
        "overrides",
        ".git",
        ".nox",
        ".venv",
        ".local-index",
    }
)
FORBIDDEN_NAMES = frozenset({".pypirc", ".env", ".netrc", "credentials.json", "htpasswd"})
FORBIDDEN_SUFFIXES = (".pyc", ".pyo")
# Top-level entries an sdist may have beside the package (hatchling always adds .gitignore).
SDIST_TOP_LEVEL_FILES = ("pyproject.toml", "PKG-INFO", "README", "LICENSE", "CHANGELOG", ".gitignore")


@dataclass(frozen=True)
class Distributions:
    """The two files of one release."""

    wheel: Path
    sdist: Path

    @property
    def files(self) -> tuple[Path, Path]:
        return (self.wheel, self.sdist)


def project_version(project: Path = GENERATED_PROJECT) -> str:
    """The version the generated project declares (generate writes it from generator_config.yaml)."""
    pyproject = project / "pyproject.toml"
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        version = data["project"]["version"]
    except (OSError, tomllib.TOMLDecodeError, KeyError, TypeError) as exc:
        raise PipelineError(f"cannot read [project].version from {pyproject}: {exc}") from exc
    if not isinstance(version, str) or not version:
        raise PipelineError(f"{pyproject}: [project].version must be a non-empty string")
    return version


def distribution_version(path: Path) -> str | None:
    """The canonical version of one of our wheels/sdists by its name; None for any other file."""
    try:
        if path.name.endswith(".whl"):
            name, version, _build, _tags = parse_wheel_filename(path.name)
        elif path.name.endswith(".tar.gz"):
            name, version = parse_sdist_filename(path.name)
        else:
            return None
    except (InvalidWheelFilename, InvalidSdistFilename):
        return None
    if name != canonicalize_name(PROJECT_NAME):
        return None
    return canonicalize_version(version)


def find_distributions(dist: Path, version: str) -> Distributions | None:
    """The wheel and sdist of `version` in `dist`, or None unless both are there (exactly one each)."""
    if not dist.is_dir():
        return None
    wanted = canonicalize_version(version)
    ours = [p for p in sorted(dist.iterdir()) if p.is_file() and distribution_version(p) == wanted]
    wheels = [p for p in ours if p.name.endswith(".whl")]
    sdists = [p for p in ours if p.name.endswith(".tar.gz")]
    if len(wheels) != 1 or len(sdists) != 1:
        return None
    return Distributions(wheel=wheels[0], sdist=sdists[0])


def _remove_old(dist: Path) -> None:
    """Drop every earlier build of ours (any version): stale files must never be uploaded."""
    if not dist.is_dir():
        return
    for path in dist.iterdir():
        if path.is_file() and distribution_version(path) is not None:
            path.unlink()


def _run(step: str, args: list[str]) -> None:
    result = subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PipelineError(f"{step} failed:\n{(result.stdout + result.stderr).strip()}")


def _forbidden(parts: tuple[str, ...]) -> str | None:
    """Why a path must not ship, or None."""
    for part in parts[:-1]:
        if part in FORBIDDEN_DIRS:
            return f"{part}/"
    name = parts[-1]
    if name in FORBIDDEN_DIRS or name in FORBIDDEN_NAMES or name.startswith(".env."):
        return name
    if name.endswith(FORBIDDEN_SUFFIXES):
        return "compiled bytecode"
    return None


def check_metadata(metadata: Message, where: str) -> list[str]:
    """Problems with core metadata (METADATA or PKG-INFO) that an index or a user would hit."""
    problems: list[str] = []
    for field in ("Name", "Version", "Summary", "Requires-Python"):
        if not (metadata.get(field) or "").strip():
            problems.append(f"{where}: metadata lacks {field}")
    if canonicalize_name(metadata.get("Name") or "") != canonicalize_name(PROJECT_NAME):
        problems.append(f"{where}: metadata Name is {metadata.get('Name')!r}, expected {PROJECT_NAME!r}")
    if not (metadata.get("License-Expression") or metadata.get("License")):
        problems.append(f"{where}: metadata lacks License-Expression (or License)")
    if not metadata.get_all("Project-URL"):
        problems.append(f"{where}: metadata lacks Project-URL")
    body = metadata.get_payload()
    if not isinstance(body, str) or not body.strip() or not metadata.get("Description-Content-Type"):
        problems.append(f"{where}: metadata lacks the README as long description (Description-Content-Type + body)")
    extras = [canonicalize_name(extra) for extra in metadata.get_all("Provides-Extra") or []]
    problems += _check_requirements(metadata.get_all("Requires-Dist") or [], extras, where)
    return problems


def _check_requirements(lines: Iterable[str], extras: Sequence[str], where: str) -> list[str]:
    """Runtime dependencies exactly RUNTIME_DEPENDENCIES; each extra exactly what
    OPTIONAL_DEPENDENCIES allows it; every requirement with a version range."""
    problems: list[str] = []
    names: dict[str, set[str]] = {"": set(), **{extra: set() for extra in extras}}  # "": runtime
    for line in lines:
        try:
            requirement = Requirement(line)
        except InvalidRequirement:
            problems.append(f"{where}: unparseable Requires-Dist {line!r}")
            continue
        owner = _owner(requirement, extras)
        if owner is None:
            problems.append(f"{where}: Requires-Dist {line!r} belongs to no declared extra")
            continue
        names[owner].add(canonicalize_name(requirement.name))
        if not requirement.specifier:
            problems.append(f"{where}: Requires-Dist {line!r} has no version range")
    runtime = names.pop("")
    if runtime != RUNTIME_DEPENDENCIES:
        unexpected, missing = sorted(runtime - RUNTIME_DEPENDENCIES), sorted(RUNTIME_DEPENDENCIES - runtime)
        problems.append(
            f"{where}: Requires-Dist must be exactly {sorted(RUNTIME_DEPENDENCIES)} "
            f"(extra: {unexpected}, missing: {missing})"
        )
    if set(names) != set(OPTIONAL_DEPENDENCIES):
        problems.append(f"{where}: extras must be exactly {sorted(OPTIONAL_DEPENDENCIES)}, found {sorted(names)}")
    for extra, added in names.items():
        allowed = OPTIONAL_DEPENDENCIES.get(extra)
        if allowed is not None and added != allowed:
            problems.append(f"{where}: extra {extra!r} must add exactly {sorted(allowed)}, adds {sorted(added)}")
    return problems


def _owner(requirement: Requirement, extras: Sequence[str]) -> str | None:
    """ "" for a runtime dependency, else the declared extra that pulls it in (None: no such extra)."""
    marker = requirement.marker
    if marker is None or marker.evaluate({"extra": ""}):
        return ""
    return next((extra for extra in extras if marker.evaluate({"extra": extra})), None)


def check_wheel(path: Path) -> list[str]:
    """Problems with the wheel's file list and metadata."""
    with zipfile.ZipFile(path) as wheel:
        names = [n for n in wheel.namelist() if not n.endswith("/")]
        dist_info = {n.split("/")[0] for n in names if n.split("/")[0].endswith(".dist-info")}
        problems = (
            [f"{path.name}: expected one .dist-info folder, found {sorted(dist_info)}"] if len(dist_info) != 1 else []
        )
        metadata_name = f"{next(iter(dist_info))}/METADATA" if len(dist_info) == 1 else ""
        metadata = BytesParser().parsebytes(wheel.read(metadata_name)) if metadata_name in names else None
    problems += _check_files(path.name, [PurePosixPath(n).parts for n in names], allowed_top={PACKAGE_NAME, *dist_info})
    if metadata is None:
        problems.append(f"{path.name}: no METADATA")
    else:
        problems += check_metadata(metadata, path.name)
    return problems


def check_sdist(path: Path) -> list[str]:
    """Problems with the sdist's file list and PKG-INFO."""
    root = path.name.removesuffix(".tar.gz")
    with tarfile.open(path, "r:gz") as sdist:
        members = [m for m in sdist.getmembers() if not m.isdir()]
        parts = [PurePosixPath(m.name).parts for m in members]
        problems = [f"{path.name}: {'/'.join(p)} is outside {root}/" for p in parts if p[0] != root]
        info = sdist.extractfile(f"{root}/PKG-INFO") if f"{root}/PKG-INFO" in {m.name for m in members} else None
        metadata = BytesParser().parsebytes(info.read()) if info is not None else None
    inner = [p[1:] for p in parts if p[0] == root and len(p) > 1]
    allowed = {PACKAGE_NAME} | {p[0] for p in inner if len(p) == 1 and p[0].startswith(SDIST_TOP_LEVEL_FILES)}
    problems += _check_files(path.name, inner, allowed_top=allowed)
    if metadata is None:
        problems.append(f"{path.name}: no {root}/PKG-INFO")
    else:
        problems += check_metadata(metadata, path.name)
    return problems


def _check_files(where: str, entries: list[tuple[str, ...]], allowed_top: set[str]) -> list[str]:
    problems: list[str] = []
    for parts in entries:
        shown = "/".join(parts)
        if parts[0] not in allowed_top:
            problems.append(f"{where}: unexpected {shown} (only {PACKAGE_NAME}/ and the metadata may ship)")
        reason = _forbidden(parts)
        if reason is not None:
            problems.append(f"{where}: must not contain {shown} ({reason})")
    if (PACKAGE_NAME, "py.typed") not in entries:
        problems.append(f"{where}: {PACKAGE_NAME}/py.typed is missing (type checkers would ignore the package)")
    return problems


def build(project: Path = GENERATED_PROJECT, dist: Path = DIST) -> Distributions:
    """Build, twine-check and inspect; raise PipelineError naming every problem found."""
    if not (project / "pyproject.toml").is_file():
        raise PipelineError(f"{project} has no pyproject.toml: run `nox -s generate` first")
    version = project_version(project)
    dist.mkdir(parents=True, exist_ok=True)
    _remove_old(dist)
    _run("python -m build", [sys.executable, "-m", "build", "--outdir", str(dist), str(project)])
    built = find_distributions(dist, version)
    if built is None:
        raise PipelineError(f"python -m build did not leave one wheel and one sdist of {version} in {dist}")
    _run("twine check --strict", [sys.executable, "-m", "twine", "check", "--strict", *map(str, built.files)])
    problems = check_wheel(built.wheel) + check_sdist(built.sdist)
    if problems:
        raise PipelineError("the built distributions are not fit to publish:\n  " + "\n  ".join(problems))
    return built


def describe(built: Distributions, version: str) -> str:
    """What was built, for the log: names and sizes."""
    lines = [f"built {PROJECT_NAME} {version} (twine check --strict passed, contents checked):"]
    lines += [f"  {path}  {path.stat().st_size:,} bytes" for path in built.files]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipeline.build", description=__doc__)
    parser.add_argument(
        "--project", type=Path, default=GENERATED_PROJECT, help="project to build (default: %(default)s)"
    )
    parser.add_argument("--outdir", type=Path, default=DIST, help="where the files go (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        built = build(args.project, args.outdir)
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(describe(built, project_version(args.project)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
