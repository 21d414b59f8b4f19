"""Layer overrides/ onto a freshly generated project, loudly refusing stale replacements.

Two kinds of override:
- `overrides/templates/*.jinja` replace openapi-python-client templates of the same name. Each is
  recorded in `overrides/manifest.json` with the sha256 of the upstream template it was written
  against; when the pinned generator's template differs, generation fails naming the file, so a
  generator upgrade cannot silently keep stale code. After reviewing the upstream change and
  updating the override, `python -m pipeline.overlay record` refreshes the manifest.
- Modules of `overrides/package/` that build on generated code (the client subclasses the
  generated `AuthenticatedClient`) name the upstream templates they depend on under `builds_on`
  in the manifest, with their sha256: a change there fails generation naming the module too.
- `overrides/package/*.py` are new modules copied into the generated package, and
  `overrides/project/*` new files for the project root (LICENSE). They may not replace a
  generated file: a name clash fails generation.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import openapi_python_client

from .errors import PipelineError
from .paths import MANIFEST, PACKAGE_OVERLAY, PROJECT_OVERLAY, ROOT, TEMPLATES

UPSTREAM_TEMPLATES = Path(openapi_python_client.__file__).parent / "templates"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _override_templates() -> list[Path]:
    return sorted(TEMPLATES.glob("*.jinja"))


def check_templates() -> None:
    """Every template override must match the upstream original it was written against."""
    recorded: dict[str, str] = json.loads(MANIFEST.read_text(encoding="utf-8"))["templates"]
    for override in _override_templates():
        name = override.name
        shown = override.relative_to(ROOT)
        upstream = UPSTREAM_TEMPLATES / name
        if not upstream.exists():
            raise PipelineError(f"{shown}: openapi-python-client has no template {name}; the override replaces nothing")
        if name not in recorded:
            raise PipelineError(
                f"{shown}: not recorded in {MANIFEST.relative_to(ROOT)}; run `python -m pipeline.overlay record`"
            )
        if recorded[name] != _sha256(upstream):
            raise PipelineError(
                f"{shown} was written against another version of the generator's {name} "
                f"(recorded sha256 {recorded[name][:12]}, installed {_sha256(upstream)[:12]}). "
                f"Compare {upstream} with the override, port the upstream change, then run "
                "`python -m pipeline.overlay record`"
            )
    stale = sorted(set(recorded) - {path.name for path in _override_templates()})
    if stale:
        raise PipelineError(f"{MANIFEST.relative_to(ROOT)}: records templates with no override: {', '.join(stale)}")
    for name, dependency in _builds_on().items():
        installed = _sha256(UPSTREAM_TEMPLATES / name)
        if dependency["sha256"] != installed:
            modules = ", ".join(f"overrides/package/{module}" for module in dependency["by"])
            raise PipelineError(
                f"{modules} build(s) on the generator's {name}, which changed (recorded sha256 "
                f"{dependency['sha256'][:12]}, installed {installed[:12]}). Check them against "
                f"{UPSTREAM_TEMPLATES / name}, then run `python -m pipeline.overlay record`"
            )


def _builds_on() -> dict[str, dict[str, Any]]:
    builds_on: dict[str, dict[str, Any]] = json.loads(MANIFEST.read_text(encoding="utf-8")).get("builds_on", {})
    return builds_on


def add_files(project_dir: Path, package_name: str) -> None:
    """Add the hand-written files to the generated project; they must not replace anything."""
    for overlay_root, target_root in ((PACKAGE_OVERLAY, project_dir / package_name), (PROJECT_OVERLAY, project_dir)):
        for source in sorted(
            path for path in overlay_root.rglob("*") if path.is_file() and "__pycache__" not in path.parts
        ):
            target = target_root / source.relative_to(overlay_root)
            if target.exists():
                raise PipelineError(
                    f"{source.relative_to(ROOT)} would replace the generated {target.relative_to(project_dir)}; "
                    "replace generated code through a recorded template override instead"
                )
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)


def record() -> None:
    """Write the manifest from the installed generator (after reviewing upstream changes)."""
    templates = {path.name: _sha256(UPSTREAM_TEMPLATES / path.name) for path in _override_templates()}
    builds_on = {
        name: {**dependency, "sha256": _sha256(UPSTREAM_TEMPLATES / name)} for name, dependency in _builds_on().items()
    }
    manifest = {
        "generator": f"openapi-python-client=={openapi_python_client.__version__}",
        "templates": templates,
        "builds_on": builds_on,
    }
    MANIFEST.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    print(f"recorded {len(templates)} template(s) in {MANIFEST.relative_to(ROOT)}")


if __name__ == "__main__":
    if sys.argv[1:] != ["record"]:
        sys.exit("usage: python -m pipeline.overlay record")
    record()
