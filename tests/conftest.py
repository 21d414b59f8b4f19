"""Fixtures shared by the suite: a fake Clerk server and clients pointed at it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from clerk_chat_client import ClerkChatClient

from tests.support.fake_clerk import FakeClerk
from tests.support.repo_copy import REPO, RepoCopy, copy_repo

API_KEY = "ck_test_9f8e7d6c5b4a3f2e1d0c"  # a made-up key, scanned for in output by the secrecy tests


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def server() -> Iterator[FakeClerk]:
    with FakeClerk() as fake:
        yield fake


@pytest.fixture
def make_client(server: FakeClerk) -> Iterator[Callable[..., ClerkChatClient]]:
    """Build ClerkChatClients against the fake server; closes their sync httpx2 clients after."""
    made: list[ClerkChatClient] = []

    def make(**options: Any) -> ClerkChatClient:
        options.setdefault("api_key", API_KEY)
        options.setdefault("base_url", server.url)
        client = ClerkChatClient(**options)
        made.append(client)
        return client

    yield make
    for client in made:
        client.get_httpx_client().close()


@pytest.fixture(scope="session")
def resources_copy(tmp_path_factory: pytest.TempPathFactory) -> RepoCopy:
    """This repository regenerated from tests/specs/resources.yml (Clerk's shapes: flattened bodies
    with clashing names, a non-object body, paginated lists, an untagged operation), once a session."""
    copy = copy_repo(tmp_path_factory.mktemp("resources-spec") / "repo")
    copy.spec.write_bytes((REPO / "tests" / "specs" / "resources.yml").read_bytes())
    result = copy.generate()
    assert result.returncode == 0, result.stdout + result.stderr
    return copy
