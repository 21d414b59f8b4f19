"""The lazy models package (overrides/templates/models_init.py.jinja): a model's module is imported
when the model is first looked up, so an operation imports the models it needs and no others.

Imports are observed in fresh interpreters (sys.modules), on the installed package and on the
regeneration of tests/specs/resources.yml (several tags, nested models); types through mypy
--strict on user code; validation through FakeClerk.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Reply
from tests.support.repo_copy import RepoCopy
from tests.support.scripts import run_script, typecheck

PACKAGE = "clerk_chat_client"

_MODELS_IMPORTED = """
import json, sys
def models():
    prefix = "clerk_chat_client.models."
    return sorted(name.removeprefix(prefix) for name in sys.modules if name.startswith(prefix))
"""


def _model_imports(source: Path) -> set[str]:
    """The model modules a file imports when it runs: its module-level `from ..models.<module>
    import ...` lines (TYPE_CHECKING blocks and imports inside functions left out)."""
    named = set()
    for node in ast.parse(source.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.level and (node.module or "").startswith("models."):
            named.add((node.module or "").removeprefix("models."))
    return named


def models_named_by(package_dir: Path, tag: str) -> set[str]:
    """The model modules importing a tag's package imports: those its files name, and those the
    named models import in turn (an enum a model's `from_dict` builds)."""
    pending = set().union(*(_model_imports(path) for path in (package_dir / "api" / tag).glob("*.py")))
    named: set[str] = set()
    while pending:
        module = pending.pop()
        named.add(module)
        pending |= _model_imports(package_dir / "models" / f"{module}.py") - named
    return named


def all_models(package_dir: Path) -> set[str]:
    return {path.stem for path in (package_dir / "models").glob("*.py")} - {"__init__"}


def test_one_operation_and_one_resource_import_only_the_models_they_name(resources_copy: RepoCopy) -> None:
    code = (
        _MODELS_IMPORTED
        + """
import clerk_chat_client
out = {"after_package": models()}
import clerk_chat_client.api.messages.find_message
out["after_operation"] = models()
clerk_chat_client.ClerkChatClient(api_key="k").contacts
out["after_contacts"] = models()
print(json.dumps(out))
"""
    )
    out = run_script(code, package_parent=resources_copy.package_parent).output
    package_dir = resources_copy.package_parent / PACKAGE
    messages, contacts = models_named_by(package_dir, "messages"), models_named_by(package_dir, "contacts")

    assert out["after_package"] == []
    assert set(out["after_operation"]) == messages  # the tag package's imports, nothing more
    assert set(out["after_contacts"]) == messages | contacts
    assert messages | contacts < all_models(package_dir)


def test_models_are_found_by_every_import_style_and_listed() -> None:
    code = (
        _MODELS_IMPORTED
        + """
import clerk_chat_client.models as package
out = {"after_package": models()}
from clerk_chat_client.models import ConnectTwilioRequest
out["after_from_import"] = models()
from clerk_chat_client.models.twilio_connector_object import TwilioConnectorObject as Direct
out["same_class"] = package.TwilioConnectorObject is Direct and ConnectTwilioRequest is package.ConnectTwilioRequest
out["module"] = ConnectTwilioRequest.__module__
out["listed"] = set(package.__all__) <= set(dir(package))
namespace = {}
exec("from clerk_chat_client.models import *", namespace)
out["star"] = sorted(name for name in namespace if not name.startswith("__")) == sorted(package.__all__)
try:
    package.NoSuchModel
except AttributeError as exc:
    out["unknown"] = str(exc)
try:
    from clerk_chat_client.models import NoSuchModel
except ImportError as exc:
    out["unknown_from"] = type(exc).__name__
print(json.dumps(out))
"""
    )
    out = run_script(code).output

    assert out["after_package"] == []
    assert "connect_twilio_request" in out["after_from_import"]
    assert "twilio_connector_response" not in out["after_from_import"]
    assert out["same_class"] is True
    assert out["module"] == "clerk_chat_client.models.connect_twilio_request"
    assert out["listed"] is True and out["star"] is True
    assert out["unknown"] == "module 'clerk_chat_client.models' has no attribute 'NoSuchModel'"
    assert out["unknown_from"] == "ImportError"


_TYPED_USE = """
    from typing import assert_type

    import clerk_chat_client.models
    from clerk_chat_client.models import ConnectTwilioRequest, ConnectTwilioRequestDirection

    request = ConnectTwilioRequest(inbox_external_id="inbox-1", direction=ConnectTwilioRequestDirection.OUTBOUND)
    assert_type(request.inbox_external_id, str)
    assert_type(clerk_chat_client.models.TwilioConnectorObject(connect_url="wss://x").connect_url, str)
"""


def test_type_checkers_see_every_model_and_its_types(tmp_path: Path) -> None:
    good = tmp_path / "good"
    good.mkdir()
    assert typecheck(_TYPED_USE, good).returncode == 0, typecheck(_TYPED_USE, good).stdout

    bad = tmp_path / "bad"
    bad.mkdir()
    wrong = (
        _TYPED_USE
        + "    clerk_chat_client.models.TwilioConectorObject\n    ConnectTwilioRequest(inbox_external_id=1)\n"
    )
    result = typecheck(wrong, bad)
    assert result.returncode == 1
    assert 'Module has no attribute "TwilioConectorObject"' in result.stdout
    assert 'Argument "inbox_external_id" to "ConnectTwilioRequest" has incompatible type "int"' in result.stdout


def test_validation_resolves_a_nested_model_that_was_never_imported(resources_copy: RepoCopy) -> None:
    code = (
        _MODELS_IMPORTED
        + """
from clerk_chat_client._validation import check_model
from clerk_chat_client.models.message_response import MessageResponse
before = models()
try:
    check_model(MessageResponse(data="not a message"))
except TypeError as exc:
    problem = str(exc)
print(json.dumps({"before": before, "after": models(), "problem": problem}))
"""
    )
    out = run_script(code, package_parent=resources_copy.package_parent).output

    assert "message_object" not in out["before"]
    assert out["problem"] == "body.data: expected MessageObject, got str"
    assert set(out["after"]) - set(out["before"]) == {"message_object", "message_object_status"} - set(out["before"])


@pytest.mark.parametrize(
    ("item", "problem"),
    [
        ({"body": 5}, "body.data[0].body: expected str, got int"),
        ({"status": "lost"}, "'lost' is not a valid MessageObjectStatus"),
        ({"id": 7}, "body.data[0].id: expected str, got int"),
    ],
)
def test_responses_are_still_checked_down_to_their_leaves(
    resources_copy: RepoCopy, server: FakeClerk, item: dict[str, object], problem: str
) -> None:
    message = {"id": "m1", "body": "Hello", "status": "sent", "createdAt": "2024-05-06T07:08:09Z", **item}
    server.script(Reply.json({"data": [message], "total": 1}))
    code = """
        import json
        from clerk_chat_client import ClerkChatClient, ResponseValidationError
        try:
            ClerkChatClient().messages.find_messages(inbox_id="inbox-1").data
        except ResponseValidationError as exc:
            print(json.dumps({"problem": exc.problem}))
    """
    env = {"CLERK_CHAT_API_KEY": API_KEY, "CLERK_CHAT_BASE_URL": server.url}
    out = run_script(code, package_parent=resources_copy.package_parent, env=env).output

    assert problem in out["problem"]
