"""The last spec that passed `spec.load`, kept in .build/, so an unchanged swagger.yml is not
parsed and validated again on the next run.

ruamel's round-trip parse (it keeps the line numbers that error messages need) and
openapi-spec-validator are most of a warm `nox -s generate` of a large spec (about 11 s of 29 at
800 operations). Their result depends only on the file's bytes, the code of the pipeline (spec.py and the
modules it uses), the Python version and the installed libraries, so it is stored under a hash of all of these and
reused only when every part matches: any edit of the spec, of the checks or of the toolchain
checks afresh. Only a spec that passed every check is stored; a failing one fails every time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
from pathlib import Path
from typing import Any

from . import source_map, spec
from .paths import BUILD
from .timings import step

_PIPELINE = Path(spec.__file__).parent

CACHE = BUILD / "validated-spec.json"
_FORMAT = 2  # bump when the stored layout changes


def _installed() -> list[str]:
    """Every installed distribution with its version, as named by its metadata folder on sys.path
    (`ruamel.yaml-0.19.1.dist-info`): one listing per folder, cheaper than reading the metadata."""
    found = []
    for entry in sys.path:
        with contextlib.suppress(OSError):
            found += [name for name in os.listdir(entry or ".") if name.endswith((".dist-info", ".egg-info"))]
    return sorted(found)


def _key(data: bytes) -> str:
    installed = _installed()
    parts = [str(_FORMAT), sys.version, hashlib.sha256(data).hexdigest()]
    parts += [hashlib.sha256(module.read_bytes()).hexdigest() for module in sorted(_PIPELINE.glob("*.py"))]
    parts += installed
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _read(cache: Path, key: str, path: Path) -> spec.Spec | None:
    try:
        stored: dict[str, Any] = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("key") != key:
            return None
        positions = {tuple(pointer): (line, column) for pointer, line, column in stored["positions"]}
        return spec.Spec(path=path, document=stored["document"], positions=positions, is_json=stored["is_json"])
    except (OSError, ValueError, KeyError, TypeError):
        return None  # missing, torn or from another layout: check afresh


def _write(cache: Path, key: str, loaded: spec.Spec) -> None:
    positions = [[list(pointer), line, column] for pointer, (line, column) in loaded.positions.items()]
    stored = {"key": key, "document": loaded.document, "positions": positions, "is_json": loaded.is_json}
    cache.parent.mkdir(parents=True, exist_ok=True)
    partial = cache.with_suffix(".partial")
    partial.write_text(json.dumps(stored), encoding="utf-8")
    os.replace(partial, cache)  # whole or not at all


def load(path: Path, cache: Path = CACHE) -> spec.Spec:
    """`spec.load(path)`, or its stored result when nothing it depends on has changed."""
    data = source_map.read_bytes(path)
    with step("spec: cache lookup"):
        key = _key(data)
        cached = _read(cache, key, path)
    if cached is not None:
        return cached
    with step("spec: parse & validate"):
        loaded = spec.load(path, data)
    with step("spec: cache store"):
        _write(cache, key, loaded)
    return loaded
