"""The client runs on httpx2 alone.

httpx is still installed beside the tests (the generator, openapi-python-client, depends on it),
so these tests prove the client does not reach for it even where it could: no module of the
package or of the tests imports it, and a program that uses the client end to end never loads it.
The wheel installed into a fresh venv without httpx is tests/test_publish.py's business.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "generated" / "clerk-chat-client" / "clerk_chat_client"
OLD_STACK = ("httpx", "httpcore")


def _imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("root", [PACKAGE, REPO / "tests"], ids=["package", "tests"])
def test_no_module_imports_the_old_stack(root: Path) -> None:
    offenders = {
        str(path.relative_to(REPO)): sorted(_imported_modules(path) & set(OLD_STACK))
        for path in sorted(root.rglob("*.py"))
        if "node_modules" not in path.parts
    }
    assert {path: names for path, names in offenders.items() if names} == {}


_PROGRAM = """
import asyncio, importlib, pkgutil, sys
import clerk_chat_client, clerk_chat_client.api
from clerk_chat_client import ClerkChatClient
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

for module in pkgutil.walk_packages(clerk_chat_client.api.__path__, "clerk_chat_client.api."):
    importlib.import_module(module.name)
body = ConnectTwilioRequest(inbox_external_id="inbox-123")
with ClerkChatClient(api_key=sys.argv[1], base_url=sys.argv[2]) as client:
    connect.sync(client=client, body=body)

async def main():
    async with ClerkChatClient(api_key=sys.argv[1], base_url=sys.argv[2]) as client:
        await connect.asyncio(client=client, body=body)

asyncio.run(main())
print(" ".join(sorted(name for name in sys.modules if name.split(".")[0].startswith(("httpx", "httpcore")))))
"""


def test_a_program_using_the_client_never_loads_httpx(server: FakeClerk) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROGRAM, API_KEY, server.url], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    loaded = {name.split(".")[0] for name in result.stdout.split()}
    assert loaded == {"httpx2", "httpcore2"}
    assert len(server.requests) == 2
