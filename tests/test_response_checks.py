"""The response check's two speeds (overrides/package/_validation.py) accept exactly the same
values: the compiled yes-or-no test that runs on every response, and the walk that names the
first mismatch. On the richer models of tests/specs/resources.yml (lists of nested models, enums,
date-times, nullable strings, free-form objects, optional fields), every leaf of a valid body is
replaced by values of every JSON type in turn, in a fresh interpreter on that regeneration.
(tests/test_properties.py checks the same on the installed package's models, with hypothesis.)
"""

from __future__ import annotations

from tests.support.repo_copy import RepoCopy
from tests.support.scripts import run_script

_AGREE = """
import copy, json
from clerk_chat_client import _validation
from clerk_chat_client.models import AdminUserListResponse, MessageListResponse, SendMessageRequest

MESSAGE = {"id": "m1", "body": "Hello", "status": "sent", "createdAt": "2024-05-06T07:08:09Z"}
VALID = [
    (MessageListResponse, {"data": [MESSAGE, MESSAGE], "links": {"next": None, "prev": "/p", "self": "/s"}, "total": 2}),
    (SendMessageRequest, {
        "inboxId": "i", "to": ["+1", "+2"], "body": "b", "channel": "sms", "sendAt": "2024-05-06T07:08:09Z",
        "metadata": {"campaignId": "c", "tags": ["a"]}, "from": "+3", "timeout": 30, "extraHeaders": {"X": "y"},
    }),
    (AdminUserListResponse, {"data": [{"id": "u", "email": "e"}], "total": 1}),
]
WRONG = [None, True, 0, 7, 1.5, "x", [], [1], {}, {"a": 1}]

def paths(value, prefix=()):
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from paths(item, prefix + (index,))

def replaced(value, path, new):
    value = copy.deepcopy(value)
    if not path:
        return new
    target = value
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return value

tried = {"valid": 0, "invalid": 0}
disagree = []
for model, valid in VALID:
    for path in paths(valid):
        for new in WRONG:
            body = replaced(valid, path, new)
            try:
                parsed = model.from_dict(body)
            except (ValueError, KeyError, TypeError, AttributeError, IndexError):
                continue
            try:
                _validation._explain(parsed, "body")
                walked = True
            except TypeError:
                walked = False
            tried["valid" if walked else "invalid"] += 1
            if _validation._fits(parsed) is not walked:
                disagree.append([model.__name__, list(path), repr(new)])
print(json.dumps({"tried": tried, "disagree": disagree}))
"""


def test_the_fast_check_and_the_explaining_walk_agree_on_every_leaf(resources_copy: RepoCopy) -> None:
    out = run_script(_AGREE, package_parent=resources_copy.package_parent).output

    assert out["disagree"] == []
    assert out["tried"]["valid"] > 20 and out["tried"]["invalid"] > 100  # both verdicts, many times
