"""Spec changes, end to end (issue 7): edit swagger.yml, run the real pipeline, call the new client.

Each change is made in code (tests/support/spec_edits.py) to a copy of this repository whose
`swagger.yml` starts as the real one. `python -m pipeline.generate` then has to exit 0 and print a
report naming the change with the right verdict; the version in `generator_config.yaml` and in the
generated `pyproject.toml` has to move by semver, and `CHANGELOG.md` has to get the entry. Finally
the affected operation is really called: a subprocess imports the copy's freshly generated
`clerk_chat_client` (PYTHONPATH, not the installed one) and talks HTTP to a `FakeClerk` on
127.0.0.1, and the test checks what the server received and what the call returned.

Each report compares against the previous `generated/`, so the changes are applied one after
another to a single copy (a chain; one generation each, mypy's cache warm after the first). The
chain runs lazily and in order whatever order the tests run in: a test asks for its step, the
steps before it run first, and every step records its generation and its call when it happens,
so a later step never changes what an earlier test checks. The unit-level rules of the report are
tests/test_changes.py's business; this file checks the pipeline as a maintainer runs it.

The last test grows the API from one operation to 25 in five tags and calls every one of them,
through a 429 and its retry, in one subprocess; then again through its resource method
(`client.<tag>.<method>(...)`), sync and async.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.support import spec_edits
from tests.support.fake_clerk import FakeClerk, RecordedRequest, Reply
from tests.support.repo_copy import REPO, RepoCopy, copy_repo

API_KEY = "ck_test_spec_changes_5e4d3c2b1a"
SUPPORT = REPO / "tests" / "support"
_CONFIG_VERSION = re.compile(r"^package_version_override:\s*['\"]?([0-9.]+)", re.MULTILINE)
_PYPROJECT_VERSION = re.compile(r'^version\s*=\s*"([^"]+)"', re.MULTILINE)


# --------------------------------------------------------------------------------------------
# running the copy's client in a subprocess


@dataclass
class Call:
    """One subprocess run of the copy's client against a FakeClerk."""

    requests: list[RecordedRequest]
    returncode: int
    output: dict[str, Any]
    stderr: str
    server_url: str

    def ok(self) -> str:
        """An assertion message; the subprocess must have exited 0."""
        return f"the client subprocess failed (exit {self.returncode}):\n{self.stderr}"


_PRELUDE = """
import json, sys
import clerk_chat_client
from clerk_chat_client import ClerkChatClient
inputs = json.loads(sys.argv[1])
out = {"package": clerk_chat_client.__file__}
client = ClerkChatClient(api_key=inputs["key"], base_url=inputs["url"], max_retries=0)
"""
_POSTLUDE = "\nprint(json.dumps(out, default=repr))\n"


def call_client(
    package_parent: Path,
    code: str,
    prepare: Callable[[FakeClerk], None],
    extra_path: tuple[Path, ...] = (),
    **inputs: Any,
) -> Call:
    """Run `code` (after a prelude that builds `client`) with the package at `package_parent`
    first on the path; it reports through the dict `out`. `prepare` sets up the server."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLERK_CHAT_")}
    env["PYTHONPATH"] = os.pathsep.join(str(path) for path in (package_parent, *extra_path))
    with FakeClerk() as server:
        prepare(server)
        argument = json.dumps({"url": server.url, "key": API_KEY, **inputs})
        result = subprocess.run(
            [sys.executable, "-c", _PRELUDE + textwrap.dedent(code) + _POSTLUDE, argument],
            cwd=package_parent.parent,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        server.wait_idle()
        requests = server.requests
    output: dict[str, Any] = {}
    if result.returncode == 0:
        output = json.loads(result.stdout.strip().splitlines()[-1])
        imported = Path(output["package"]).resolve()
        assert imported.is_relative_to(package_parent.resolve()), f"imported {imported}, not the copy's package"
    return Call(requests, result.returncode, output, result.stderr, server.url)


def json_body(request: RecordedRequest) -> Any:
    assert request.headers.get("content-type") == "application/json", request.headers
    return json.loads(request.body)


# --------------------------------------------------------------------------------------------
# the chain of changes


def version_of(pattern: re.Pattern[str], path: Path) -> str:
    match = pattern.search(path.read_text(encoding="utf-8"))
    assert match is not None, f"no version in {path}"
    return match[1]


def bumped(version: str, verdict: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    if verdict == "breaking":
        return f"{major + 1}.0.0"
    if verdict == "additive":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


@dataclass
class Outcome:
    """What one step of the chain did: its generation, the files around it, and its call."""

    name: str
    info: Any  # what the edit returned
    result: subprocess.CompletedProcess[str]
    version_before: str
    config_version: str
    pyproject_version: str
    changelog_before: str
    changelog: str
    config_before: bytes
    config_after: bytes
    generated_before: dict[str, bytes]
    generated_after: dict[str, bytes]
    call: Call | None = None

    def output(self) -> str:
        return f"exit {self.result.returncode}\n--- stdout\n{self.result.stdout}\n--- stderr\n{self.result.stderr}"


@dataclass
class Step:
    name: str
    edit: Callable[[Any, dict[str, Outcome]], Any] | None  # (document, earlier outcomes) -> info
    probe: Callable[[RepoCopy, Any, dict[str, Outcome]], Call] | None  # (copy, info, earlier) -> Call


@dataclass
class Chain:
    copy: RepoCopy
    steps: list[Step]
    done: dict[str, Outcome] = field(default_factory=dict)
    broken: str | None = None

    def outcome(self, name: str) -> Outcome:
        for step in self.steps:
            if step.name in self.done:
                if step.name == name:
                    return self.done[name]
                continue
            if self.broken is not None:
                pytest.fail(f"the chain of spec changes broke at step {self.broken!r}; {name!r} cannot run")
            self.done[step.name] = outcome = self._run(step)
            if outcome.result.returncode != 0:
                self.broken = step.name
            if step.name == name:
                return outcome
        raise KeyError(name)

    def _run(self, step: Step) -> Outcome:
        root, copy = self.copy.root, self.copy
        changelog_path, config_path = root / "CHANGELOG.md", root / "generator_config.yaml"
        pyproject = copy.package_parent / "pyproject.toml"
        changelog_before = changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else ""
        config_before = config_path.read_bytes()
        version_before = version_of(_PYPROJECT_VERSION, pyproject)
        generated_before = copy.snapshot()
        info = None
        if step.edit is not None:
            info = spec_edits.edit(copy.spec, lambda document: step.edit(document, self.done))  # type: ignore[misc]
        result = copy.generate()
        outcome = Outcome(
            name=step.name,
            info=info,
            result=result,
            version_before=version_before,
            config_version=version_of(_CONFIG_VERSION, config_path),
            pyproject_version=version_of(_PYPROJECT_VERSION, pyproject),
            changelog_before=changelog_before,
            changelog=changelog_path.read_text(encoding="utf-8") if changelog_path.exists() else "",
            config_before=config_before,
            config_after=config_path.read_bytes(),
            generated_before=generated_before,
            generated_after=copy.snapshot(),
        )
        if result.returncode == 0 and step.probe is not None:
            outcome.call = step.probe(copy, info, self.done)
        return outcome


def assert_reported(outcome: Outcome, verdict: str, *changes: str) -> None:
    """Exit 0; the report lists each change line and the verdict; versions and changelog follow."""
    assert outcome.result.returncode == 0, outcome.output()
    stdout = outcome.result.stdout
    assert "API change report" in stdout, outcome.output()
    for change in changes:
        assert f"\n  {change}" in stdout, f"{change!r} is not in the report\n{outcome.output()}"

    new_version = bumped(outcome.version_before, verdict)
    bump_name = {"breaking": "major", "additive": "minor"}[verdict]
    verdict_line = f"\n  {verdict}: {outcome.version_before} -> {new_version} ({bump_name} bump)"
    assert verdict_line in stdout, f"{verdict_line.strip()!r} is not in the report\n{outcome.output()}"
    other_verdicts = {"breaking", "additive", "none"} - {verdict}
    assert not any(f"\n  {other}: " in stdout for other in other_verdicts), outcome.output()

    assert outcome.config_version == new_version, "generator_config.yaml"
    assert outcome.pyproject_version == new_version, "generated/clerk-chat-client/pyproject.toml"
    assert outcome.config_after.replace(new_version.encode(), b"V") == outcome.config_before.replace(
        outcome.version_before.encode(), b"V"
    ), "only the version line of generator_config.yaml may change"

    # The changelog: the new entry first, its bullets the report's changes, older entries kept.
    header = f"## {new_version} — {verdict}\n\n"
    assert header in outcome.changelog, outcome.changelog
    head, _, rest = outcome.changelog.partition(header)
    assert "\n## " not in "\n" + head, f"the {new_version} entry is not the newest\n{outcome.changelog}"
    entry = rest.split("\n## ", 1)[0]
    bullets = [line.removeprefix("- ") for line in entry.strip().splitlines()]
    reported = [line[4:] for line in stdout.splitlines() if re.match(r"^  [!+~] ", line)]
    assert bullets == reported, f"changelog entry {bullets} != report {reported}"
    for change in changes:
        assert change[2:] in bullets, f"{change!r} missing from the changelog entry\n{entry}"
    old_entries = outcome.changelog_before.partition("\n## ")[2]
    assert ("\n## " + old_entries) in outcome.changelog, "older changelog entries were not kept"


RESOURCE_CLASSES = ("TwilioResource", "AsyncTwilioResource")  # client.twilio of ClerkChatClient, AsyncClerkChatClient


def connect_methods_changed(mark: str, detail: str) -> list[str]:
    """The report's lines for `client.twilio.connect` of both clients: resource methods are public API."""
    return [
        f"{mark} python API changed: clerk_chat_client.api.twilio.{cls}.connect — {detail}" for cls in RESOURCE_CLASSES
    ]


# --- step 1: an operation added (new tag, path + query parameter, date-time in the response) ---

MESSAGE_REPLY = {"data": {"id": "msg-42", "body": "hello", "createdAt": "2024-05-06T07:08:09Z"}}


def add_operation(document: Any, _done: dict[str, Outcome]) -> spec_edits.AddedOperation:
    return spec_edits.add_message_operation(document)


def probe_added_operation(copy: RepoCopy, added: spec_edits.AddedOperation, _done: dict[str, Outcome]) -> Call:
    code = f"""
        import datetime
        from clerk_chat_client.api.{added.tag_package} import get_message
        from clerk_chat_client.models import {added.response_schema}
        result = get_message.sync(client=client, message_id="msg-42", include_media=True)
        out["type"] = type(result).__name__
        out["is_model"] = isinstance(result, {added.response_schema})
        out["body"] = result.data.body
        out["created_at_type"] = type(result.data.created_at).__name__
        out["created_at"] = result.data.created_at.isoformat()
    """
    return call_client(copy.package_parent, code, lambda server: server.script(Reply.json(MESSAGE_REPLY)))


# --- step 2: the same spec again, right after a bump ---


# --- step 3: an optional request field ---

CALLER_FIELD = "callerId"


def add_optional_field(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.add_optional_request_field(document, CALLER_FIELD, "Caller ID to present")


_CONNECT_TWICE = """
    from clerk_chat_client.api.twilio import connect
    from clerk_chat_client.models import ConnectTwilioRequest
    with_field = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-7", caller_id="+15550100"))
    out["connect_url"] = with_field.data.connect_url
    try:
        ConnectTwilioRequest(inbox_external_id="inbox-8")
    except TypeError as exc:
        out["without_field"] = "TypeError: " + str(exc)
    else:
        connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-8"))
        out["without_field"] = "sent"
"""


def probe_connect_twice(copy: RepoCopy, _info: Any, _done: dict[str, Outcome]) -> Call:
    return call_client(copy.package_parent, _CONNECT_TWICE, lambda server: None)  # default: connect_ok


# --- step 4: that field made required ---


def require_field(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.require_request_field(document, CALLER_FIELD)


# --- step 5: an enum value removed ---


def remove_outbound(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.remove_enum_value(document, "direction", "outbound")


def probe_enum(copy: RepoCopy, _info: Any, _done: dict[str, Outcome]) -> Call:
    code = """
        from clerk_chat_client.api.twilio import connect
        from clerk_chat_client.models import ConnectTwilioRequest, ConnectTwilioRequestDirection
        out["values"] = [member.value for member in ConnectTwilioRequestDirection]
        body = ConnectTwilioRequest(inbox_external_id="inbox-9", caller_id="+15550101", direction=ConnectTwilioRequestDirection.INBOUND)
        out["connect_url"] = connect.sync(client=client, body=body).data.connect_url
        try:
            ConnectTwilioRequestDirection("outbound")
        except ValueError:
            out["outbound"] = "ValueError"
    """
    return call_client(copy.package_parent, code, lambda server: None)


# --- step 6: a response field retyped (connectUrl: string -> integer) ---


def retype_connect_url(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.retype_response_field(document, "connectUrl", "integer")


def probe_retyped(copy: RepoCopy, _info: Any, _done: dict[str, Outcome]) -> Call:
    code = """
        from clerk_chat_client.api.twilio import connect
        from clerk_chat_client.models import ConnectTwilioRequest
        result = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-10", caller_id="+1"))
        out["connect_url"] = result.data.connect_url
        out["connect_url_type"] = type(result.data.connect_url).__name__
    """
    return call_client(
        copy.package_parent, code, lambda server: server.script(Reply.json({"data": {"connectUrl": 4711}}))
    )


# --- step 7: the key's header renamed ---

NEW_HEADER = "X-Api-Key"


def rename_header(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.rename_key_header(document, NEW_HEADER)


def probe_header(copy: RepoCopy, _info: Any, _done: dict[str, Outcome]) -> Call:
    code = """
        from clerk_chat_client.api.twilio import connect
        from clerk_chat_client.models import ConnectTwilioRequest
        result = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-11", caller_id="+1"))
        out["connect_url"] = result.data.connect_url
    """
    return call_client(copy.package_parent, code, lambda server: server.script(Reply.json({"data": {"connectUrl": 5}})))


# --- step 8: the operation of step 1 removed ---


def remove_added_operation(document: Any, done: dict[str, Outcome]) -> spec_edits.AddedOperation:
    added: spec_edits.AddedOperation = done["added_operation"].info
    spec_edits.remove_operation(document, added.method, added.path)
    return added


def probe_removed(copy: RepoCopy, added: spec_edits.AddedOperation, _done: dict[str, Outcome]) -> Call:
    code = f"""
        import importlib
        try:
            importlib.import_module("clerk_chat_client.api.{added.tag_package}.get_message")
        except ModuleNotFoundError:
            out["get_message"] = "ModuleNotFoundError"
        else:
            out["get_message"] = "importable"
        from clerk_chat_client.api.twilio import connect
        from clerk_chat_client.models import ConnectTwilioRequest
        out["connect_url"] = connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id="inbox-12", caller_id="+1")).data.connect_url
    """
    return call_client(copy.package_parent, code, lambda server: server.script(Reply.json({"data": {"connectUrl": 6}})))


# --- step 9: the field of steps 3 and 4 removed ---


def remove_caller_field(document: Any, _done: dict[str, Outcome]) -> str:
    return spec_edits.remove_request_field(document, CALLER_FIELD)


def probe_field_removed(copy: RepoCopy, _info: Any, _done: dict[str, Outcome]) -> Call:
    code = """
        out["connect_url"] = client.twilio.connect(inbox_external_id="inbox-13").data.connect_url
        try:
            client.twilio.connect(inbox_external_id="inbox-14", caller_id="+1")
        except TypeError as exc:
            out["with_field"] = "TypeError: " + str(exc)
        else:
            out["with_field"] = "sent"
    """
    return call_client(copy.package_parent, code, lambda server: server.script(Reply.json({"data": {"connectUrl": 7}})))


STEPS = [
    Step("added_operation", add_operation, probe_added_operation),
    Step("unchanged", None, None),
    Step("optional_field", add_optional_field, probe_connect_twice),
    Step("required_field", require_field, probe_connect_twice),
    Step("enum_value_removed", remove_outbound, probe_enum),
    Step("response_field_retyped", retype_connect_url, probe_retyped),
    Step("key_header_renamed", rename_header, probe_header),
    Step("operation_removed", remove_added_operation, probe_removed),
    Step("field_removed", remove_caller_field, probe_field_removed),
]


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Chain:
    return Chain(copy_repo(tmp_path_factory.mktemp("spec-chain") / "repo"), STEPS)


def the_call(outcome: Outcome) -> Call:
    assert outcome.call is not None, outcome.output()
    assert outcome.call.returncode == 0, outcome.call.ok()
    return outcome.call


def listed_file(stdout: str, how: str, package_path: str) -> bool:
    """Whether the generate output lists the file (under generated/) as added/removed/modified."""
    return re.search(rf"(?m)^\s+{how}\s+\S*\b{re.escape(package_path)}$", stdout) is not None


def key_header(document_path: Path) -> str:
    return str(spec_edits.key_scheme(spec_edits.load(document_path))["name"]).lower()


# --------------------------------------------------------------------------------------------
# the tests of the chain


def test_added_operation_is_additive_and_callable(chain: Chain) -> None:
    outcome = chain.outcome("added_operation")
    added: spec_edits.AddedOperation = outcome.info
    module = f"clerk_chat_client.api.{added.tag_package}.get_message"
    path_shown = added.path.replace("{messageId}", "{message_id}")
    assert_reported(
        outcome,
        "additive",
        f"+ operation added: GET {path_shown} — {module}(message_id: str, include_media: bool | Unset = UNSET)"
        f" -> {added.response_schema}",
        f"+ model added: {added.response_schema} — data: MessageObject",
    )
    assert listed_file(outcome.result.stdout, "added", f"clerk_chat_client/api/{added.tag_package}/get_message.py")

    call = the_call(outcome)
    (request,) = call.requests
    assert request.method == "GET"
    assert request.path == added.path.replace("{messageId}", "msg-42") + "?includeMedia=true"
    assert request.headers.get("apikey") == API_KEY
    assert request.body == b""
    assert call.output["type"] == added.response_schema and call.output["is_model"] is True
    assert call.output["body"] == "hello"
    assert call.output["created_at_type"] == "datetime"
    assert datetime.fromisoformat(call.output["created_at"]) == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)


def test_unchanged_spec_after_a_bump_changes_nothing(chain: Chain) -> None:
    """Regenerating the bumped state: nothing changed, no second bump, no second entry."""
    outcome = chain.outcome("unchanged")

    assert outcome.result.returncode == 0, outcome.output()
    assert "nothing changed" in outcome.result.stdout, outcome.output()
    assert "API change report" not in outcome.result.stdout
    assert outcome.generated_after == outcome.generated_before
    assert outcome.config_after == outcome.config_before
    assert outcome.changelog == outcome.changelog_before
    assert outcome.config_version == outcome.pyproject_version == outcome.version_before
    assert outcome.version_before == chain.outcome("added_operation").config_version


def test_optional_request_field_is_additive_and_sent(chain: Chain) -> None:
    outcome = chain.outcome("optional_field")
    assert_reported(
        outcome,
        "additive",
        "+ field added: ConnectTwilioRequest.caller_id — optional, str | Unset = UNSET",
        *connect_methods_changed("+", "parameter caller_id added (optional, str | Unset = UNSET)"),
    )

    call = the_call(outcome)
    assert call.output["without_field"] == "sent"  # old calls keep working: that is what additive means
    with_field, without_field = call.requests
    for request in call.requests:
        assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
        assert request.headers.get("apikey") == API_KEY
    assert json_body(with_field) == {"inboxExternalId": "inbox-7", "callerId": "+15550100", "direction": "inbound"}
    assert json_body(without_field) == {"inboxExternalId": "inbox-8", "direction": "inbound"}
    assert call.output["connect_url"] == "wss://example.test/stream"


def test_request_field_made_required_is_breaking(chain: Chain) -> None:
    outcome = chain.outcome("required_field")
    assert_reported(
        outcome,
        "breaking",
        "! field changed: ConnectTwilioRequest.caller_id — now required (breaking)",
        *connect_methods_changed("!", "parameter caller_id changed (now required) (breaking)"),
    )

    call = the_call(outcome)
    assert call.output["without_field"].startswith("TypeError: "), call.output  # what breaking means
    (request,) = call.requests
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get("apikey") == API_KEY
    assert json_body(request) == {"inboxExternalId": "inbox-7", "callerId": "+15550100", "direction": "inbound"}


def test_removed_enum_value_is_breaking(chain: Chain) -> None:
    outcome = chain.outcome("enum_value_removed")
    assert_reported(
        outcome,
        "breaking",
        "! enum value removed: ConnectTwilioRequestDirection — 'outbound' (breaking)",
        *connect_methods_changed(
            "!",
            "parameter direction changed (type ConnectTwilioRequestDirection | Literal['inbound', 'outbound'] ->"
            " ConnectTwilioRequestDirection | Literal['inbound']) (breaking)",
        ),
    )

    call = the_call(outcome)
    assert call.output["values"] == ["inbound"]
    assert call.output["outbound"] == "ValueError"
    (request,) = call.requests
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get("apikey") == API_KEY
    assert json_body(request) == {"inboxExternalId": "inbox-9", "callerId": "+15550101", "direction": "inbound"}


def test_retyped_response_field_is_breaking(chain: Chain) -> None:
    outcome = chain.outcome("response_field_retyped")
    assert_reported(
        outcome, "breaking", "! field changed: TwilioConnectorObject.connect_url — type str -> int (breaking)"
    )

    call = the_call(outcome)
    (request,) = call.requests
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get("apikey") == API_KEY
    assert json_body(request)["inboxExternalId"] == "inbox-10"
    assert (call.output["connect_url"], call.output["connect_url_type"]) == (4711, "int")


def test_renamed_key_header_is_breaking_and_the_key_moves(chain: Chain) -> None:
    outcome = chain.outcome("key_header_renamed")
    old_header: str = outcome.info
    assert_reported(
        outcome, "breaking", f"! security changed: API_KEY_NAME — {old_header!r} -> {NEW_HEADER!r} (breaking)"
    )

    call = the_call(outcome)
    (request,) = call.requests
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get(NEW_HEADER.lower()) == API_KEY
    assert old_header.lower() not in request.headers
    assert json_body(request)["inboxExternalId"] == "inbox-11"
    assert call.output["connect_url"] == 5


def test_removed_operation_is_breaking(chain: Chain) -> None:
    outcome = chain.outcome("operation_removed")
    added: spec_edits.AddedOperation = outcome.info
    path_shown = added.path.replace("{messageId}", "{message_id}")
    module = f"clerk_chat_client.api.{added.tag_package}.get_message"
    assert_reported(outcome, "breaking", f"! operation removed: GET {path_shown} — {module} (breaking)")
    assert listed_file(outcome.result.stdout, "removed", f"clerk_chat_client/api/{added.tag_package}/get_message.py")

    call = the_call(outcome)
    assert call.output["get_message"] == "ModuleNotFoundError"
    (request,) = call.requests  # the package still has an operation, and it still works
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get(NEW_HEADER.lower()) == API_KEY
    assert call.output["connect_url"] == 6


def test_removed_request_field_is_breaking_for_the_model_and_the_resource_method(chain: Chain) -> None:
    outcome = chain.outcome("field_removed")
    assert_reported(
        outcome,
        "breaking",
        "! field removed: ConnectTwilioRequest.caller_id — was str (breaking)",
        *connect_methods_changed("!", "parameter caller_id removed (was str) (breaking)"),
    )

    call = the_call(outcome)
    assert call.output["with_field"].startswith("TypeError: "), call.output  # what breaking means
    (request,) = call.requests  # the call with the removed argument never reached the server
    assert (request.method, request.path) == ("POST", "/public/twilio-connector/connect")
    assert request.headers.get(NEW_HEADER.lower()) == API_KEY
    assert json_body(request) == {"inboxExternalId": "inbox-13"}  # a resource method sends only what it is given
    assert call.output["connect_url"] == 7


# --------------------------------------------------------------------------------------------
# a spec that grows from one operation to 25 in five tags


_ALL_OPERATIONS = """
    from pathlib import Path
    import attrs
    import time
    from datetime import UTC, datetime, timedelta
    import operations as ops

    ops.SPEC_PATH = Path(inputs["spec"])  # synthesize arguments from the copy's spec

    class FastClock:  # a clerk_chat_client Clock whose sleeps are recorded, not slept
        def __init__(self):
            self.offset, self.sleeps = 0.0, []
        def monotonic(self):
            return time.monotonic() + self.offset
        def now(self):
            return datetime.now(UTC) + timedelta(seconds=self.offset)
        def sleep(self, seconds):
            self.sleeps.append(seconds)
            self.offset += seconds
        async def async_sleep(self, seconds):
            self.sleep(seconds)
        def random(self):
            return 0.5

    clock = FastClock()
    client = ClerkChatClient(api_key=inputs["key"], base_url=inputs["url"], max_retries=1, clock=clock)

    def shape(value):
        if attrs.has(type(value)):
            fields = attrs.fields(type(value))
            return {f.name: shape(getattr(value, f.name)) for f in fields if f.name != "additional_properties"}
        if isinstance(value, list):
            return [shape(item) for item in value]
        return type(value).__name__

    out["calls"] = {}
    results = {}
    for op in ops.discover_operations():
        arguments = op.arguments()
        results[op.id] = result = op.module.sync(client=client, **arguments)
        method = op.resource_method(client)
        out["calls"][f"{op.method} {op.path}"] = {
            "module": op.id,
            "type": type(result).__name__,
            "returns_promised_type": ops.returns_instance(op.success_type(), result),
            "shape": shape(result),
            "sync_resource_returns_the_same": method(**op.resource_arguments(method)) == result,
        }

    async def through_async_resources():  # one event loop for the async client's pool
        async with AsyncClerkChatClient(api_key=inputs["key"], base_url=inputs["url"], max_retries=1, clock=clock) as aclient:
            for op in ops.discover_operations():
                method = op.resource_method(aclient)
                same = await method(**op.resource_arguments(method)) == results[op.id]
                out["calls"][f"{op.method} {op.path}"]["async_resource_returns_the_same"] = same

    import asyncio
    from clerk_chat_client import AsyncClerkChatClient
    asyncio.run(through_async_resources())
    out["sleeps"] = clock.sleeps
"""


@dataclass(frozen=True)
class Served:
    """How the fake server answers one operation of the grown spec."""

    key: str  # "METHOD template"
    method: str
    pattern: re.Pattern[str]
    status: int
    body: Any


def served_operations(document: Any, grown: list[spec_edits.GrownOperation]) -> list[Served]:
    """Every operation of the document: the grown ones with their designed bodies, others sampled."""
    designed = {(op.method, op.path): op for op in grown}
    served = []
    for path, method, operation in spec_edits.operations(document):
        op = designed.get((method.upper(), path))
        status, body = (op.status, op.body) if op else spec_edits.success_response(document, operation)
        served.append(
            Served(f"{method.upper()} {path}", method.upper(), spec_edits.template_pattern(path), status, body)
        )
    return served


def test_grown_spec_regenerates_and_every_operation_retries_a_429(tmp_path: Path) -> None:
    copy = copy_repo(tmp_path / "repo")
    version_before = version_of(_CONFIG_VERSION, copy.root / "generator_config.yaml")
    grown = spec_edits.edit(copy.spec, spec_edits.grow)
    document = spec_edits.load(copy.spec)
    served = served_operations(document, grown)
    assert len(served) >= 25 and len(grown) == 24
    assert {op.method for op in grown} == {"GET", "POST", "PUT", "PATCH", "DELETE"}

    result = copy.generate()  # includes ruff and mypy --strict over the whole package

    output = f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"
    assert result.returncode == 0, output
    new_version = bumped(version_before, "additive")
    assert f"\n  additive: {version_before} -> {new_version} (minor bump)" in result.stdout, output
    added_lines = [line for line in result.stdout.splitlines() if line.startswith("  + operation added: ")]
    assert len(added_lines) == len(grown), output
    for tag in spec_edits.GROWN_TAGS:
        package = re.sub(r"(?<!^)(?=[A-Z])", "_", tag).lower()
        for method in ("find_all", "find_one", "create", "update", "update_status", "remove"):
            assert f"clerk_chat_client.api.{package}.{method}(" in result.stdout, f"{package}.{method}\n{output}"
    assert version_of(_CONFIG_VERSION, copy.root / "generator_config.yaml") == new_version
    assert version_of(_PYPROJECT_VERSION, copy.package_parent / "pyproject.toml") == new_version
    assert f"## {new_version} — additive" in (copy.root / "CHANGELOG.md").read_text(encoding="utf-8")

    header = key_header(copy.spec)
    seen: set[tuple[str, str]] = set()

    def operation_of(request: RecordedRequest) -> Served:
        (match,) = [s for s in served if s.method == request.method and s.pattern.match(request.path)]
        return match

    def first_429_then_success(request: RecordedRequest) -> Reply:
        op = operation_of(request)
        if (request.method, request.path) not in seen:
            seen.add((request.method, request.path))
            return Reply.json({"message": "slow down"}, status=429, headers={"Retry-After": "0"})
        return Reply.json(op.body, status=op.status)

    call = call_client(
        copy.package_parent,
        _ALL_OPERATIONS,
        lambda server: server.handle_with(first_429_then_success),
        extra_path=(SUPPORT, REPO),  # operations.py imports tests.support.examples
        spec=str(copy.spec),
    )

    assert call.returncode == 0, call.ok()
    called = call.output["calls"]
    assert set(called) == {s.key for s in served}, "every operation of the spec was called"
    by_operation: dict[str, list[RecordedRequest]] = {s.key: [] for s in served}
    for request in call.requests:
        by_operation[operation_of(request).key].append(request)
    expected_types = {f"{op.method} {op.path}": op.response_schema for op in grown}
    for s in served:
        requests = by_operation[s.key]
        # the function (a 429, then its retry), then the sync and the async resource method
        assert [r.status for r in requests] == [429, s.status, s.status, s.status], f"{s.key}: {requests}"
        assert len({r.path for r in requests}) == 1, f"{s.key}: the retry sent another target"
        assert all(r.headers.get(header) == API_KEY for r in requests), f"{s.key}: key header missing"
        if s.method in ("POST", "PUT", "PATCH"):
            assert len({r.body for r in requests}) == 1 and isinstance(json_body(requests[1]), dict), s.key
        report = called[s.key]
        assert report["returns_promised_type"] is True, f"{s.key}: {report}"
        assert report["sync_resource_returns_the_same"] is report["async_resource_returns_the_same"] is True, report
        if s.key in expected_types:
            assert report["type"] == expected_types[s.key], f"{s.key}: {report}"
    assert len(call.requests) == 4 * len(served)
    assert all(wait == 0 for wait in call.output["sleeps"]), call.output["sleeps"]  # Retry-After: 0, no backoff

    # What the parsed models hold: date-times, enums, numbers sent as JSON integers.
    for tag in spec_edits.GROWN_TAGS:
        slug = re.sub(r"(?<!^)(?=[A-Z])", "-", tag).lower()
        one = called[f"GET /public/{slug}/{{{tag[0].lower()}{tag[1:-1]}Id}}"]["shape"]["data"]
        assert one["created_at"] == "datetime" and one["status"] == f"{tag}Item" + "Status", one
        assert one["score"] in ("int", "float") and one["labels"] == "Unset", one
        listed = called[f"GET /public/{slug}"]["shape"]
        assert listed["total"] == "int" and [item["created_at"] for item in listed["data"]] == ["datetime"] * 2
        assert listed["data"][1]["labels"] == ["str"]
        assert called[f"DELETE /public/{slug}/{{{tag[0].lower()}{tag[1:-1]}Id}}"]["shape"] == {
            "deleted": "bool",
            "id": "str",
        }
    find_all = [r for r in call.requests if r.method == "GET" and "?" in r.path and "limit=20" in r.path]
    assert len(find_all) == 4 * len(spec_edits.GROWN_TAGS), [r.path for r in call.requests if r.method == "GET"]
