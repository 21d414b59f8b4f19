"""The generation pipeline (issue 2): bad input is refused loudly and leaves generated/ alone,
`--check` catches hand edits, template overrides cannot go stale silently, operation modules get
readable names, and generation is reproducible.

Every run of `python -m pipeline.generate` happens in a throwaway copy of the repository
(`tests/support/repo_copy.py`). Spec variants are built in code from the real swagger.yml with
ruamel edits, so they follow the spec as it grows. Copies that a test does not mutate are shared
(module scope); mutating tests get their own, or restore the shared one afterwards.
"""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openapi_python_client
import pytest
from ruamel.yaml import YAML

from pipeline import naming
from pipeline import spec as spec_module
from pipeline.errors import PipelineError
from tests.support.repo_copy import REPO, RepoCopy, copy_repo

PROJECT = "clerk-chat-client"
PACKAGE = "clerk_chat_client"
CONNECT = "/public/twilio-connector/connect"
UPSTREAM_TEMPLATES = Path(openapi_python_client.__file__).parent / "templates"
RECORDED_TEMPLATES = sorted(json.loads((REPO / "overrides" / "manifest.json").read_text(encoding="utf-8"))["templates"])
Snapshot = dict[str, bytes]


# --------------------------------------------------------------------------------------------
# spec variants, built from the real swagger.yml


def _yaml() -> YAML:
    yaml = YAML(typ="rt")
    yaml.width = 4096
    return yaml


def real_spec() -> Any:
    return _yaml().load((REPO / "swagger.yml").read_text(encoding="utf-8"))


def dump(document: Any) -> str:
    out = io.StringIO()
    _yaml().dump(document, out)
    return out.getvalue()


def write_spec(target: Path, document: Any) -> str:
    text = dump(document)
    target.write_text(text, encoding="utf-8")
    return text


def line_of(text: str, *pointer: str) -> int:
    """1-based line of the key at `pointer` in a YAML text (what the pipeline should report)."""
    node = _yaml().load(text)
    for part in pointer[:-1]:
        node = node[part]
    return int(node.lc.key(pointer[-1])[0]) + 1


SECURITY: list[dict[str, list[str]]] = [{"api_key": []}]


def _operation(tag: str, operation_id: str | None, **extra: Any) -> dict[str, Any]:
    operation: dict[str, Any] = {"tags": [tag]}
    if operation_id is not None:
        operation["operationId"] = operation_id
    operation.update(extra)
    operation.setdefault("responses", {"200": {"description": "OK"}})
    operation["security"] = SECURITY
    return operation


def _path_param(name: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def multi_controller_spec() -> Any:
    """The real spec plus messages, contacts, campaigns and sms operations of several shapes."""
    document = real_spec()
    schemas = document["components"]["schemas"]
    schemas["Contact"] = {
        "type": "object",
        "properties": {"id": {"type": "string"}, "name": {"type": "string"}},
        "required": ["id"],
    }
    schemas["SendMessageRequest"] = {
        "type": "object",
        "properties": {"to": {"type": "string"}, "text": {"type": "string"}},
        "required": ["to", "text"],
    }
    contact = {"$ref": "#/components/schemas/Contact"}
    send_body = {"required": True, "content": _json({"$ref": "#/components/schemas/SendMessageRequest"})}
    paths = document["paths"]
    paths["/public/messages"] = {"post": _operation("Messages", "MessagesController_send", requestBody=send_body)}
    paths["/public/contacts"] = {
        "get": _operation(
            "Contacts",
            "ContactsController_list",
            parameters=[{"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}],
            responses={"200": {"description": "OK", "content": _json({"type": "array", "items": contact})}},
        )
    }
    paths["/public/contacts/{contactId}"] = {
        "get": _operation(
            "Contacts",
            "ContactsController_getById",
            parameters=[_path_param("contactId")],
            responses={"200": {"description": "OK", "content": _json(contact)}},
        )
    }
    paths["/public/campaigns"] = {"get": _operation("Campaigns", "listCampaigns")}  # not controller form
    paths["/public/campaigns/{campaignId}"] = {
        "get": _operation("Campaigns", None, parameters=[_path_param("campaignId")])
    }
    # the same method name as MessagesController_send, in another tag: allowed
    paths["/public/sms/messages"] = {"post": _operation("Sms", "SmsController_send", requestBody=send_body)}
    return document


# (path, method) -> (original operationId, tag package, module)
MULTI_EXPECTED = {
    (CONNECT, "post"): ("PublicTwilioConnectorController_connect", "twilio", "connect"),
    ("/public/messages", "post"): ("MessagesController_send", "messages", "send"),
    ("/public/contacts", "get"): ("ContactsController_list", "contacts", "list_"),  # the generator's `list_`: a builtin
    ("/public/contacts/{contactId}", "get"): ("ContactsController_getById", "contacts", "get_by_id"),
    ("/public/campaigns", "get"): ("listCampaigns", "campaigns", "list_campaigns"),
    ("/public/campaigns/{campaignId}", "get"): (None, "campaigns", "get_public_campaigns_campaign_id"),
    ("/public/sms/messages", "post"): ("SmsController_send", "sms", "send"),
}


# --------------------------------------------------------------------------------------------
# repository copies


@pytest.fixture
def repo(tmp_path: Path) -> RepoCopy:
    """A copy of this repository of the test's own."""
    return copy_repo(tmp_path / "repo")


@pytest.fixture(scope="module")
def pristine_copy(tmp_path_factory: pytest.TempPathFactory) -> RepoCopy:
    return copy_repo(tmp_path_factory.mktemp("pristine") / "repo")


_KEPT_FILES = ("swagger.yml", "generator_config.yaml", "CHANGELOG.md", "overrides/manifest.json")


@pytest.fixture
def shared(pristine_copy: RepoCopy) -> Iterator[RepoCopy]:
    """The module's unchanged copy; whatever a test does to it is undone afterwards."""
    generated = pristine_copy.snapshot()
    kept = {name: _read_or_none(pristine_copy.root / name) for name in _KEPT_FILES}
    yield pristine_copy
    _restore_generated(pristine_copy, generated)
    for name, content in kept.items():
        target = pristine_copy.root / name
        if content is None:
            target.unlink(missing_ok=True)
        else:
            target.write_bytes(content)


def _read_or_none(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _restore_generated(copy: RepoCopy, snapshot: Snapshot) -> None:
    base = copy.root / "generated"
    shutil.rmtree(base)
    for name, content in snapshot.items():
        target = base / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


def assert_refused(copy: RepoCopy, before: Snapshot, result: subprocess.CompletedProcess[str], *needles: str) -> None:
    """Non-zero exit, a traceback-free message naming the problem, generated/ byte-identical."""
    assert result.returncode != 0, _output(result)
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not named in stderr\n{_output(result)}"
    assert "Traceback" not in result.stderr, _output(result)
    after = copy.snapshot()
    assert after.keys() == before.keys(), "files under generated/ were added or removed"
    changed = [name for name in before if before[name] != after[name]]
    assert not changed, f"generated/ was modified: {changed}"


# --------------------------------------------------------------------------------------------
# bad input: refused, named, generated/ untouched


def test_yaml_syntax_error_is_refused_with_file_and_line(repo: RepoCopy) -> None:
    lines = repo.spec.read_text(encoding="utf-8").splitlines(keepends=True)
    summary = next(i for i, line in enumerate(lines) if line.strip() == "summary: Twilio MediaStreams")
    lines.insert(summary + 1, "     misindented: key\n")  # one column short of its siblings
    repo.spec.write_text("".join(lines), encoding="utf-8")
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, "YAML", f"swagger.yml:{summary + 2}")


def test_spec_without_info_is_refused(repo: RepoCopy) -> None:
    document = real_spec()
    del document["info"]
    write_spec(repo.spec, document)
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, "swagger.yml", "'info'")


def test_ref_to_a_missing_schema_in_a_request_body_is_refused(repo: RepoCopy) -> None:
    document = real_spec()
    schema = document["paths"][CONNECT]["post"]["requestBody"]["content"]["application/json"]["schema"]
    schema["$ref"] = "#/components/schemas/ConnectTwilioRequestGone"
    text = write_spec(repo.spec, document)
    line = line_of(text, "paths", CONNECT, "post", "requestBody", "content", "application/json", "schema", "$ref")
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, f"swagger.yml:{line}", "#/components/schemas/ConnectTwilioRequestGone")


def test_duplicate_operation_ids_pass_validation_and_are_told_apart_by_path(tmp_path: Path) -> None:
    """NestJS gives two controllers of one class name the same operationIds: not refused (the
    old message was "operationId ... is already used by ...; the generator would silently keep
    only one"), but named by the collision rules."""
    document = real_spec()
    twin = "/public/twilio-connector/reconnect"
    document["paths"][twin] = {"post": dict(document["paths"][CONNECT]["post"])}
    path = tmp_path / "swagger.yml"
    write_spec(path, document)

    spec = spec_module.load(path)
    modules = {(op.path, op.method): naming.choose(spec).module(op) for op in spec.operations()}

    assert modules == {
        (CONNECT, "post"): ("twilio", "post_public_twilio_connector_connect"),
        (twin, "post"): ("twilio", "post_public_twilio_connector_reconnect"),
    }


def _text_plain_body(operation: Any) -> tuple[str, ...]:
    operation["requestBody"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    return ("text/plain",)


def _object_in_header(operation: Any) -> tuple[str, ...]:
    operation["parameters"] = [
        {
            "name": "X-Filter",
            "in": "header",
            "required": False,
            "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
        }
    ]
    return ("not allowed in header",)


@pytest.mark.parametrize(
    "break_operation", [_text_plain_body, _object_in_header], ids=["text-plain-body", "object-header-param"]
)
def test_operation_the_generator_cannot_handle_is_refused(
    repo: RepoCopy, break_operation: Callable[[Any], tuple[str, ...]]
) -> None:
    """openapi-python-client would warn and silently leave the endpoint out; --fail-on-warning makes
    it an error, and the message points at the operation in swagger.yml (issue 18)."""
    document = real_spec()
    needles = break_operation(document["paths"][CONNECT]["post"])
    text = write_spec(repo.spec, document)
    before = repo.snapshot()

    result = repo.generate()

    location = f"swagger.yml:{line_of(text, 'paths', CONNECT, 'post')}: /paths/~1public~1twilio-connector~1connect/post"
    assert_refused(repo, before, result, "Endpoint will not be generated", f"POST {CONNECT}", location, *needles)


def test_a_schema_the_generator_cannot_handle_is_named_with_its_line(repo: RepoCopy) -> None:
    document = real_spec()
    document["components"]["schemas"]["ConnectTwilioRequest"]["properties"]["direction"]["enum"] = ["inbound", 2]
    text = write_spec(repo.spec, document)
    before = repo.snapshot()

    result = repo.generate()

    location = f"swagger.yml:{line_of(text, 'components', 'schemas', 'ConnectTwilioRequest')}"
    assert_refused(
        repo,
        before,
        result,
        "Unable to process schema /components/schemas/ConnectTwilioRequest",
        f"{location}: /components/schemas/ConnectTwilioRequest",
    )


@pytest.mark.parametrize(
    "scheme",
    [
        {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "https://web-api.clerk.chat/oauth/token", "scopes": {}}},
        },
        {"type": "http", "scheme": "basic"},
    ],
    ids=["oauth2", "http-basic"],
)
def test_unsupported_security_scheme_is_refused(repo: RepoCopy, scheme: dict[str, Any]) -> None:
    document = real_spec()
    document["components"]["securitySchemes"]["api_key"] = scheme
    text = write_spec(repo.spec, document)
    before = repo.snapshot()

    result = repo.generate()

    kind = scheme.get("scheme") or scheme["type"]
    line = line_of(text, "paths", CONNECT, "post", "security")
    assert_refused(repo, before, result, f"swagger.yml:{line}", f"POST {CONNECT}", "api_key", kind, "apiKey in header")


# --------------------------------------------------------------------------------------------
# up to date: nothing to do, and the committed tree is what the pipeline makes


def test_committed_generated_equals_a_fresh_generation(shared: RepoCopy) -> None:
    before = shared.snapshot()

    result = shared.generate("--check")

    assert result.returncode == 0, _output(result)
    assert "up to date" in result.stdout
    assert shared.snapshot() == before


def test_generate_twice_on_an_unchanged_spec_changes_nothing(shared: RepoCopy) -> None:
    before = shared.snapshot()
    kept = {name: _read_or_none(shared.root / name) for name in _KEPT_FILES}

    for _ in range(2):
        result = shared.generate()
        assert result.returncode == 0, _output(result)
        assert "up to date" in result.stdout, _output(result)
        assert shared.snapshot() == before
        assert {
            name: _read_or_none(shared.root / name) for name in _KEPT_FILES
        } == kept  # no version bump, no changelog


def test_bytecode_caches_are_not_hand_edits(shared: RepoCopy) -> None:
    """Importing the package from generated/ (an editable install, as the README's test venv has)
    writes __pycache__ there; that is not a difference from a fresh generation."""
    compiled = subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(shared.package_parent)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert compiled.returncode == 0, compiled.stderr
    assert any("__pycache__" in name for name in shared.snapshot())

    result = shared.generate("--check")

    assert result.returncode == 0, _output(result)
    assert "up to date" in result.stdout


# --------------------------------------------------------------------------------------------
# --check names every hand edit


def _append(relative: str, extra: bytes) -> Callable[[Path], str]:
    def edit(generated: Path) -> str:
        target = generated / PROJECT / relative
        target.write_bytes(target.read_bytes() + extra)
        return relative

    return edit


def _crlf(relative: str) -> Callable[[Path], str]:
    def edit(generated: Path) -> str:
        target = generated / PROJECT / relative
        target.write_bytes(target.read_bytes().replace(b"\n", b"\r\n"))
        return relative

    return edit


def _delete(relative: str) -> Callable[[Path], str]:
    def edit(generated: Path) -> str:
        (generated / PROJECT / relative).unlink()
        return relative

    return edit


def _add(relative: str, under_project: bool = True) -> Callable[[Path], str]:
    def edit(generated: Path) -> str:
        target = (generated / PROJECT if under_project else generated) / relative
        target.write_text("# left here by hand\n", encoding="utf-8")
        return relative

    return edit


HAND_EDITS = {
    "endpoint-module": _append(f"{PACKAGE}/api/twilio/connect.py", b"\n# patched by hand\n"),
    "overlaid-module": _append(f"{PACKAGE}/_client.py", b"\n# patched by hand\n"),
    "pyproject": _append("pyproject.toml", b"\n# patched by hand\n"),
    "readme": _append("README.md", b"\nA hand-written note.\n"),
    "line-endings-only": _crlf(f"{PACKAGE}/types.py"),
    "deleted-model": _delete(f"{PACKAGE}/models/twilio_connector_object.py"),
    "stray-module": _add(f"{PACKAGE}/api/twilio/stray.py"),
}


def test_check_fails_on_hand_edits_naming_every_file(shared: RepoCopy) -> None:
    """All kinds of edit at once (one --check run is ~4 s): each file must be named."""
    names = {kind: edit(shared.root / "generated") for kind, edit in HAND_EDITS.items()}
    edited = shared.snapshot()

    result = shared.generate("--check")

    assert result.returncode != 0, _output(result)
    unnamed = {kind: name for kind, name in names.items() if name not in result.stdout + result.stderr}
    assert not unnamed, f"not named: {unnamed}\n{_output(result)}"
    assert shared.snapshot() == edited, "--check must only report, not repair"


def test_check_fails_on_a_stray_file_beside_the_project(shared: RepoCopy) -> None:
    """generated/ holds only the generated project; `generate` would silently delete anything else."""
    name = _add("NOTES.md", under_project=False)(shared.root / "generated")

    result = shared.generate("--check")

    assert result.returncode != 0, _output(result)
    assert name in result.stdout + result.stderr, _output(result)


# --------------------------------------------------------------------------------------------
# template overrides cannot go stale silently


@pytest.mark.parametrize("template", RECORDED_TEMPLATES)
def test_override_written_against_another_upstream_template_fails(repo: RepoCopy, template: str) -> None:
    """What a generator upgrade that changed an overridden template looks like."""
    manifest_path = repo.root / "overrides" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["templates"][template] = "0" * 64
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, f"overrides/templates/{template}")


BUILDS_ON = json.loads((REPO / "overrides" / "manifest.json").read_text(encoding="utf-8"))["builds_on"]


@pytest.mark.parametrize("template", sorted(BUILDS_ON))
def test_a_changed_template_that_an_override_module_builds_on_fails(repo: RepoCopy, template: str) -> None:
    """The client subclasses the generated AuthenticatedClient: a changed client.py.jinja is loud."""
    manifest_path = repo.root / "overrides" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["builds_on"][template]["sha256"] = "0" * 64
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, template, *(f"overrides/package/{m}" for m in BUILDS_ON[template]["by"]))


def _new_unrecorded_override(root: Path) -> str:
    name = next(
        template.name
        for template in sorted(UPSTREAM_TEMPLATES.glob("*.jinja"))
        if not (root / "overrides" / "templates" / template.name).exists()
    )
    shutil.copyfile(UPSTREAM_TEMPLATES / name, root / "overrides" / "templates" / name)
    return name


def _unrecord_existing_override(root: Path) -> str:
    name: str = RECORDED_TEMPLATES[0]
    manifest_path = root / "overrides" / "manifest.json"
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    del manifest["templates"][name]
    manifest_path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return name


@pytest.mark.parametrize(
    "unrecord", [_new_unrecorded_override, _unrecord_existing_override], ids=["new-override", "entry-removed"]
)
def test_override_template_not_in_the_manifest_fails(repo: RepoCopy, unrecord: Callable[[Path], str]) -> None:
    name = unrecord(repo.root)
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, f"overrides/templates/{name}")


@pytest.mark.parametrize(
    "overlay",
    ["package/client.py", "package/_settings.py", "package/api/twilio/connect.py", "project/README.md"],
)
def test_overlay_file_colliding_with_a_generated_file_fails(repo: RepoCopy, overlay: str) -> None:
    target = repo.root / "overrides" / overlay
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text('"""A hand-written file that would replace a generated one."""\n', encoding="utf-8")
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(repo, before, result, f"overrides/{overlay}")


# --------------------------------------------------------------------------------------------
# readable operation names


@pytest.mark.parametrize(
    ("operation_id", "short", "qualified"),
    [
        ("PublicTwilioConnectorController_connect", "connect", "public_twilio_connector_connect"),
        ("MessagesController_send", "send", "messages_send"),
        ("ContactsController_getById", "get_by_id", "contacts_get_by_id"),
        ("AdminUsersController_list_v2", "list_v2", "admin_users_list_v2"),
        ("UsersControllerV2_findAll", "find_all", "users_v2_find_all"),
        ("listCampaigns", "list_campaigns", "list_campaigns"),
        ("list", "list_", "list_"),  # the generator's rule for builtins
        ("Controller_list", "controller_list", "controller_list"),  # no controller name
        ("ContactsControllerList", "contacts_controller_list", "contacts_controller_list"),  # no underscore
        ("getUsersV2", "get_users_v2", "get_users_v2"),  # digits stay on their word
    ],
)
def test_operation_id_rules(operation_id: str, short: str, qualified: str) -> None:
    op = spec_module.Operation(method="get", path="/public/x-y/{id}", operation_id=operation_id, tags=("T",))

    assert naming.candidates(op) == (short, qualified, "get_public_x_y_id")


def test_controller_operation_ids_become_method_modules(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yml"
    text = write_spec(path, multi_controller_spec())
    spec = spec_module.load(path)

    document = naming.with_readable_names(spec)

    seen = {(p, m): op.get("operationId") for p, m, op in spec_module.operation_objects(document)}
    assert seen == {key: module for key, (_original, _tag, module) in MULTI_EXPECTED.items()}
    modules = {(op.path, op.method): naming.choose(spec).module(op) for op in spec.operations()}
    assert modules == {key: (tag, module) for key, (_original, tag, module) in MULTI_EXPECTED.items()}
    # the rule rewrites a copy: the loaded spec and the file keep the original operationIds
    assert [op.operation_id for op in spec.operations()] == [original for original, *_ in MULTI_EXPECTED.values()]
    assert path.read_text(encoding="utf-8") == text


def _collision(*operations: tuple[str | None, str | None, str]) -> Any:
    document = real_spec()
    for tag, operation_id, path in operations:
        operation = _operation(tag or "default", operation_id)
        if tag is None:
            del operation["tags"]
        document["paths"][path] = {"get": operation}
    return document


# operations (tag, operationId, path) -> the module each gets, in order
RESOLVED_COLLISIONS = {
    "two-controllers-one-tag": (
        [("Contacts", "AController_list", "/public/a"), ("Contacts", "BController_list", "/public/b")],
        ["a_list", "b_list"],
    ),
    "controller-and-plain-id": (
        [("Contacts", "ContactsController_getById", "/public/a"), ("Contacts", "getById", "/public/b")],
        ["contacts_get_by_id", "get_by_id"],
    ),
    "tags-differing-in-case": (
        [("Contacts", "ContactsController_find", "/public/a"), ("contacts", "PeopleController_find", "/public/b")],
        ["contacts_find", "people_find"],
    ),
    "untagged-duplicate-ids": (
        [(None, "UsersController_findAll", "/public/users"), (None, "UsersController_findAll", "/public/admin/users")],
        ["get_public_users", "get_public_admin_users"],
    ),
    "versioned-controller": (
        [(None, "UsersController_findAll", "/public/users"), (None, "UsersControllerV2_findAll", "/public/v2/users")],
        ["users_find_all", "users_v2_find_all"],
    ),
}


@pytest.mark.parametrize(("operations", "modules"), list(RESOLVED_COLLISIONS.values()), ids=list(RESOLVED_COLLISIONS))
def test_name_collisions_resolve_by_the_documented_rules(
    tmp_path: Path, operations: list[tuple[str | None, str, str]], modules: list[str]
) -> None:
    path = tmp_path / "swagger.yml"
    write_spec(path, _collision(*operations))
    spec = spec_module.load(path)

    naming_ = naming.choose(spec)
    document = naming.with_readable_names(spec)

    chosen = {op.path: naming_.module(op)[1] for op in spec.operations()}
    assert [chosen[path] for _tag, _id, path in operations] == modules
    assert [document["paths"][path]["get"]["operationId"] for _tag, _id, path in operations] == modules


UNRESOLVABLE = [
    (None, None, "/public/user-groups"),  # no operationId: both are get_public_user_groups
    (None, None, "/public/user_groups"),
    ("Sms", "SmsController_list", "/public/sms-list"),  # every rule gives both the same name
    ("Sms", "SmsController_list", "/public/sms_list"),
]


def test_collisions_no_rule_resolves_fail_all_listed_with_their_lines(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yml"
    text = write_spec(path, _collision(*UNRESOLVABLE))
    spec = spec_module.load(path)

    with pytest.raises(PipelineError) as caught:
        naming.with_readable_names(spec)

    message = str(caught.value)
    assert "2 naming collisions" in message, message
    assert "clerk_chat_client.api.default.get_public_user_groups" in message
    assert "clerk_chat_client.api.sms.get_public_sms_list" in message
    for _tag, _id, op_path in UNRESOLVABLE:
        assert f"GET {op_path}" in message
        assert f"swagger.yml:{line_of(text, 'paths', op_path, 'get')}" in message


def test_same_method_in_two_tags_is_not_a_collision(tmp_path: Path) -> None:
    path = tmp_path / "swagger.yml"
    write_spec(
        path,
        _collision(
            ("Contacts", "ContactsController_list", "/public/a"), ("Campaigns", "CampaignsController_list", "/public/b")
        ),
    )

    document = naming.with_readable_names(spec_module.load(path))

    assert document["paths"]["/public/a"]["get"]["operationId"] == "list_"
    assert document["paths"]["/public/b"]["get"]["operationId"] == "list_"


def test_name_collision_fails_generation_and_leaves_generated_alone(repo: RepoCopy) -> None:
    write_spec(repo.spec, _collision(*UNRESOLVABLE[:2]))
    before = repo.snapshot()

    result = repo.generate()

    assert_refused(
        repo, before, result, "/public/user-groups", "/public/user_groups", "no naming rule tells them apart"
    )


def _generate_from_scratch(copies: list[RepoCopy], document: Any) -> list[subprocess.CompletedProcess[str]]:
    """Generate `document` into copies with no generated/ yet, concurrently.

    Starting without generated/ makes this a first generation (no version bump or changelog
    entry, which tests of their own cover), and runs the whole pipeline, swap included."""
    for copy in copies:
        write_spec(copy.spec, document)
        shutil.rmtree(copy.root / "generated")
    with concurrent.futures.ThreadPoolExecutor(len(copies)) as pool:
        return list(pool.map(lambda copy: copy.generate(), copies))


@pytest.fixture(scope="module")
def multi_pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[RepoCopy, RepoCopy]:
    """The multi-controller spec generated in two separate copies."""
    copies = [copy_repo(tmp_path_factory.mktemp(f"multi{i}") / "repo") for i in (1, 2)]
    for result in _generate_from_scratch(copies, multi_controller_spec()):
        assert result.returncode == 0, _output(result)
    return copies[0], copies[1]


def _import_in(copy: RepoCopy, code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, PYTHONPATH=str(copy.package_parent), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.run(
        [sys.executable, "-P", "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=False
    )


def test_multi_controller_spec_generates_readable_modules(
    multi_pair: tuple[RepoCopy, RepoCopy], tmp_path: Path
) -> None:
    copy = multi_pair[0]
    api = copy.package_parent / PACKAGE / "api"
    for tag, module in ((tag, module) for _o, tag, module in MULTI_EXPECTED.values()):
        assert (api / tag / f"{module}.py").is_file(), f"api/{tag}/{module}.py not generated"
    assert not list(api.rglob("*controller*")), "a module kept its controller name"

    modules = [f"{PACKAGE}.api.{tag}.{module}" for _o, tag, module in MULTI_EXPECTED.values()]
    code = (
        "import importlib, clerk_chat_client\n"
        f"for name in {modules!r}:\n"
        "    module = importlib.import_module(name)\n"
        "    assert callable(module.sync_detailed) and callable(module.asyncio_detailed), name\n"
        "from clerk_chat_client.api.contacts import get_by_id\n"
        "assert callable(get_by_id.sync) and callable(get_by_id.asyncio)\n"
        "print(clerk_chat_client.__file__)\n"
    )
    result = _import_in(copy, code, cwd=tmp_path)

    assert result.returncode == 0, _output(result)
    assert Path(result.stdout.strip()).is_relative_to(copy.package_parent), "imported another clerk_chat_client"


def test_two_generations_in_two_copies_are_byte_identical(multi_pair: tuple[RepoCopy, RepoCopy]) -> None:
    first, second = (copy.snapshot() for copy in multi_pair)
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []


def test_same_method_in_two_tags_generates_with_inline_bodies(repo: RepoCopy, tmp_path: Path) -> None:
    """Two `send`s in two tags, each with an inline request body: the generator names inline
    models after the (shortened) operationId, so both bodies must not become one `SendBody`."""
    document = real_spec()
    for tag, path in (("Messages", "/public/messages"), ("Sms", "/public/sms/messages")):
        body = {
            "required": True,
            "content": _json(
                {
                    "type": "object",
                    "properties": {f"{tag.lower()}Text": {"type": "string"}},
                    "required": [f"{tag.lower()}Text"],
                }
            ),
        }
        document["paths"][path] = {"post": _operation(tag, f"{tag}Controller_send", requestBody=body)}

    [result] = _generate_from_scratch([repo], document)

    assert result.returncode == 0, _output(result)
    code = "import clerk_chat_client.api.messages.send, clerk_chat_client.api.sms.send\n"
    imported = _import_in(repo, code, cwd=tmp_path)
    assert imported.returncode == 0, _output(imported)
