"""The synthetic specs of `nox -s bench` (benchmarks/synthetic_spec.py) are valid Clerk-style specs
that the real pipeline generates without error, so the scaling figures measure a working client."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest

from benchmarks import synthetic_spec
from pipeline import naming
from pipeline import spec as spec_module
from pipeline.spec import operation_objects
from tests.support.repo_copy import REPO, copy_repo

REAL_SPEC = REPO / "swagger.yml"


def _real() -> dict[str, Any]:
    return synthetic_spec.load(REAL_SPEC)


def _synthetic(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    real = {(path, method) for path, method, _ in operation_objects(_real())}
    return [(path, method, op) for path, method, op in operation_objects(document) if (path, method) not in real]


@pytest.mark.parametrize("size", [1, 12, 250])
def test_grow_reaches_the_size_and_keeps_the_real_operations(size: int) -> None:
    real = _real()
    grown = synthetic_spec.grow(real, size)

    assert synthetic_spec.operation_count(grown) == max(size, synthetic_spec.operation_count(real))
    for path, item in real["paths"].items():
        assert grown["paths"][path] == item
    assert synthetic_spec.grow(real, size) == grown, "not deterministic"
    assert real == _real(), "the input document was modified"


def test_synthetic_operations_are_in_clerks_style() -> None:
    grown = synthetic_spec.grow(_real(), 41)
    synthetic = _synthetic(grown)
    tags: dict[str, list[dict[str, Any]]] = {}
    for _path, _method, op in synthetic:
        assert naming.CONTROLLER_ID.match(op["operationId"]), op["operationId"]
        assert op["security"] == [{"api_key": []}]
        tags.setdefault(op["tags"][0], []).append(op)

    assert [len(ops) for ops in tags.values()] == [10, 10, 10, 10]
    assert {method for _path, method, _op in synthetic} == {"get", "post", "patch", "delete"}
    schemas = grown["components"]["schemas"]
    for tag, ops in tags.items():
        listing = next(op for op in ops if op["operationId"].endswith("_findAll"))
        assert {p["name"] for p in listing["parameters"]} >= {"page", "limit"}
        envelope = schemas[listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]]
        assert set(envelope["properties"]) == {"data", "links", "total"}, tag
        assert envelope["properties"]["data"]["type"] == "array"


def test_a_large_synthetic_spec_passes_the_pipelines_checks(tmp_path: Path) -> None:
    """Validation, $refs, unique ids and readable names at 250 operations (25 tags, numbered past
    the noun list): what generation at every benchmark size starts with."""
    target = tmp_path / "swagger.yml"
    assert synthetic_spec.write(REAL_SPEC, 250, target) == 250

    loaded = spec_module.load(target)
    naming.with_readable_names(loaded)  # raises on a module-name collision

    assert len(list(loaded.operations())) == 250


def test_the_pipeline_generates_a_synthetic_spec(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "repo")
    synthetic_spec.write(REAL_SPEC, 12, copy.spec)

    result = copy.generate()

    assert result.returncode == 0, result.stdout + result.stderr
    api = copy.package_parent / "clerk_chat_client" / "api"
    chosen = naming.choose(spec_module.load(copy.spec))
    modules = {api / package / f"{module}.py" for package, module in chosen.modules.values()}
    assert len(modules) == 12 and all(module.is_file() for module in modules), sorted(map(str, modules))
    listing = ast.parse((api / "contacts" / "find_all.py").read_text(encoding="utf-8"))
    sync_detailed = next(
        node for node in listing.body if isinstance(node, ast.FunctionDef) and node.name == "sync_detailed"
    )
    assert {"page", "limit"} <= {arg.arg for arg in sync_detailed.args.kwonlyargs}
