"""Issue 18: documents as real tools emit them regenerate, and the clients made from them work.

Every spec of tests/specs/ (README there: one per case of the issue) is regenerated in a copy of
this repository (tests/support/repo_copy.py), and the whole contract suite
(tests/contract/test_prism.py) runs against that copy in a subprocess: PYTHONPATH at the copy's
`clerk_chat_client`, `CLERK_CHAT_CONTRACT_SPEC` at its spec, so Prism judges every request the
regenerated client makes. What Prism cannot see (a key that must not be sent, the exact prefix,
what happens without a base URL, a `null` the server sends, an upload's bytes) is checked here
against FakeClerk, the regenerated client running in a subprocess of its own.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk, Reply
from tests.support.operations import SPEC_ENV
from tests.support.repo_copy import REPO, RepoCopy, copy_repo

SPECS_DIR = REPO / "tests" / "specs"
SPECS = sorted(path.name for path in SPECS_DIR.iterdir() if path.suffix in (".yml", ".yaml", ".json"))
CONTRACT_SUITE = "tests/contract/test_prism.py"


@pytest.fixture(scope="module")
def generations(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[RepoCopy, str | None]]:
    """Each spec regenerated from scratch in its own copy: spec name -> (copy, failure or None)."""

    def regenerate(name: str) -> tuple[str, tuple[RepoCopy, str | None]]:
        copy = copy_repo(tmp_path_factory.mktemp(Path(name).stem) / "repo")
        shutil.copyfile(SPECS_DIR / name, copy.spec)
        shutil.rmtree(copy.root / "generated")  # a first generation: no version bump to compute
        result = copy.generate()
        failure = None if result.returncode == 0 else f"exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return name, (copy, failure)

    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        return dict(pool.map(regenerate, SPECS))


def generated(generations: dict[str, tuple[RepoCopy, str | None]], name: str) -> RepoCopy:
    copy, failure = generations[name]
    assert failure is None, f"{name} did not generate:\n{failure}"
    return copy


def _environment(copy: RepoCopy, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLERK_CHAT_")}
    return {**env, "PYTHONPATH": str(copy.package_parent), "PYTHONDONTWRITEBYTECODE": "1", **extra}


def run_client(copy: RepoCopy, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """Run `script` (arguments in sys.argv) with the copy's clerk_chat_client; the key comes
    from the environment, as a user's would."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        cwd=copy.root,
        env=_environment(copy, CLERK_CHAT_API_KEY=API_KEY, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit code {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


# --- every spec: regenerated, and the contract suite passes against it --------------------------


@pytest.mark.parametrize("name", SPECS)
def test_the_contract_suite_passes_against_each_regenerated_spec(
    generations: dict[str, tuple[RepoCopy, str | None]], name: str
) -> None:
    copy = generated(generations, name)
    env = _environment(copy, **{SPEC_ENV: str(copy.spec)})
    imported = subprocess.run(
        [sys.executable, "-c", "import clerk_chat_client; print(clerk_chat_client.__file__)"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert Path(imported.stdout.strip()).is_relative_to(copy.package_parent), _output(imported)

    suite = subprocess.run(
        [sys.executable, "-m", "pytest", CONTRACT_SUITE, "-q", "-p", "no:cacheprovider", "-rs"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )

    assert suite.returncode == 0, _output(suite)
    assert " passed" in suite.stdout and "skipped" not in suite.stdout, _output(suite)


# --- case 1: the key only where security asks, with its prefix ---------------------------------

SECURED_AND_PUBLIC = {
    "security_alternatives.yml": (
        "ApiKey ",
        [
            ("contacts.find_all", "", True),  # oauth2 or the key: the key
            ("contacts.find_one", "'contact-1'", True),  # the document's default
            ("health.announcements", "", True),  # with or without credentials: with
            ("health.check", "", False),  # security: []
        ],
    ),
    "bearer.yml": ("Bearer ", [("messages.find_messages", "", True), ("meta.version", "", False)]),
}


@pytest.mark.parametrize("name", sorted(SECURED_AND_PUBLIC))
def test_the_key_goes_with_its_prefix_only_to_operations_whose_security_asks(
    generations: dict[str, tuple[RepoCopy, str | None]], name: str
) -> None:
    copy = generated(generations, name)
    prefix, calls = SECURED_AND_PUBLIC[name]
    lines = [
        f"from clerk_chat_client.api.{module.split('.')[0]} import {module.split('.')[1]}" for module, _a, _s in calls
    ]
    lines += ["from clerk_chat_client import ClerkChatClient", "import asyncio, sys"]
    lines += ["with ClerkChatClient(base_url=sys.argv[1]) as client:"]
    lines += [
        f"    {module.split('.')[1]}.sync_detailed({args + ', ' if args else ''}client=client)"
        for module, args, _s in calls
    ]
    lines += ["async def main():", "    async with ClerkChatClient(base_url=sys.argv[1]) as client:"]
    lines += [
        f"        await {module.split('.')[1]}.asyncio_detailed({args + ', ' if args else ''}client=client)"
        for module, args, _s in calls
    ]
    lines += ["asyncio.run(main())"]

    with FakeClerk() as server:
        server.default = Reply(204)
        result = run_client(copy, "\n".join(lines), server.url)

    assert result.returncode == 0, _output(result)
    expected = [f"{prefix}{API_KEY}" if secured else None for _m, _a, secured in calls] * 2
    assert [request.headers.get("authorization") for request in server.requests] == expected


# --- case 2: servers: [] -----------------------------------------------------------------------


def test_without_servers_a_missing_base_url_is_a_clear_error_at_construction(
    generations: dict[str, tuple[RepoCopy, str | None]],
) -> None:
    copy = generated(generations, "nestjs_no_servers.json")
    script = """
        from clerk_chat_client import ClerkChatClient, ClerkChatError, _settings
        try:
            ClerkChatClient()
        except ClerkChatError as exc:
            print(type(exc).__name__, exc, sep=": ")
        print(_settings.DEFAULT_BASE_URL, ClerkChatClient(base_url="https://api.example.test").base_url)
        """

    result = run_client(copy, script)
    from_env = "from clerk_chat_client import ClerkChatClient; print(ClerkChatClient().base_url)"
    with_env = run_client(copy, from_env, CLERK_CHAT_BASE_URL="https://env.example.test")

    assert result.returncode == 0, _output(result)
    error, defaults = result.stdout.splitlines()
    assert error.startswith("MissingBaseURLError: ") and "base_url" in error and "CLERK_CHAT_BASE_URL" in error
    assert defaults == "None https://api.example.test"
    assert with_env.stdout.strip() == "https://env.example.test", _output(with_env)


# --- case 5: names -------------------------------------------------------------------------------


def test_nestjs_names_become_the_documented_modules_and_models(
    generations: dict[str, tuple[RepoCopy, str | None]],
) -> None:
    copy = generated(generations, "nestjs_names.yml")
    package = copy.package_parent / "clerk_chat_client"

    modules = {str(p.relative_to(package / "api").with_suffix("")) for p in (package / "api").rglob("*.py")}
    models = {p.stem for p in (package / "models").glob("*.py")}

    assert {m for m in modules if not m.endswith("__init__")} == {
        "default/get_public_users",
        "default/get_public_admin_users",
        "default/users_v2_find_all",
        "default/create",
        "default/get_public_user_groups_group_id_member_list",
        "messages/send",
        "sms/send",
    }
    assert {"messages_send_body", "sms_send_body", "default_create_body"} <= models


# --- case 6: generator quirks ------------------------------------------------------------------


def test_generator_quirks_are_fixed_where_they_arise(generations: dict[str, tuple[RepoCopy, str | None]]) -> None:
    copy = generated(generations, "generator_quirks.yml")
    script = """
        import sys, typing
        from clerk_chat_client import ClerkChatClient
        from clerk_chat_client.api.notes import create
        from clerk_chat_client.models import CreateNoteRequest, Note, NoteAuthor, NoteAuthorInline, NoteKindInline
        print(typing.get_type_hints(create.sync_detailed)["body"])
        with ClerkChatClient(base_url=sys.argv[1]) as client:
            note = create.sync(client=client, body=CreateNoteRequest(text="Call back"))
        print(type(note.author).__name__, type(note.kind).__name__, note.kind.value, note.tags)
        """
    answer = {"id": "note-1", "author": {"name": "Ada"}, "kind": "sms", "tags": ["a", 1]}

    with FakeClerk() as server:
        server.default = Reply.json(answer, status=201)
        result = run_client(copy, script, server.url)

    assert result.returncode == 0, _output(result)
    body_type, parsed = result.stdout.splitlines()
    assert body_type == "<class 'clerk_chat_client.models.create_note_request.CreateNoteRequest'>"  # required, no Unset
    assert parsed == "NoteAuthorInline NoteKindInline sms ['a', 1]"
    sent = server.requests[0]
    assert sent.headers["content-type"] == "application/json"  # the first content type, not the form
    assert json.loads(sent.body) == {"text": "Call back"}


# --- case 7: runtime bugs ----------------------------------------------------------------------


def test_an_octet_stream_upload_sends_its_bytes_sync_async_and_on_a_retry(
    generations: dict[str, tuple[RepoCopy, str | None]],
) -> None:
    copy = generated(generations, "runtime_bugs.yml")
    script = """
        import asyncio, io, sys
        from clerk_chat_client import ClerkChatClient
        from clerk_chat_client.api.recordings import upload
        from clerk_chat_client.types import File
        url = sys.argv[1]
        def audio(): return File(payload=io.BytesIO(b"RIFF audio bytes"), mime_type="application/octet-stream")
        with ClerkChatClient(base_url=url) as client:
            print(upload.sync("call-1", client=client, body=audio()).id)
        async def main():
            async with ClerkChatClient(base_url=url) as client:
                print((await upload.asyncio("call-2", client=client, body=audio())).id)
        asyncio.run(main())
        """
    recording = Reply.json({"id": "rec-1", "transcriptionStatus": None})

    with FakeClerk() as server:
        server.script(recording, Reply(503, headers={"Retry-After": "0"}), recording)
        result = run_client(copy, script, server.url)

    assert result.returncode == 0, _output(result)
    assert result.stdout.splitlines() == ["rec-1", "rec-1"]
    assert [(r.path, r.status, r.body) for r in server.requests] == [
        ("/public/recordings/call-1", 200, b"RIFF audio bytes"),
        ("/public/recordings/call-2", 503, b"RIFF audio bytes"),
        ("/public/recordings/call-2", 200, b"RIFF audio bytes"),  # the retry sent the body again
    ]


def test_a_nullable_enum_takes_null_from_the_server(generations: dict[str, tuple[RepoCopy, str | None]]) -> None:
    copy = generated(generations, "runtime_bugs.yml")
    script = """
        import sys
        from clerk_chat_client import ClerkChatClient
        from clerk_chat_client.api.recordings import find_one
        with ClerkChatClient(base_url=sys.argv[1]) as client:
            for _ in range(2):
                print(repr(find_one.sync("call-1", client=client).transcription_status))
        """

    with FakeClerk() as server:
        server.script(
            Reply.json({"id": "rec-1", "transcriptionStatus": None}),
            Reply.json({"id": "rec-1", "transcriptionStatus": "done"}),
        )
        result = run_client(copy, script, server.url)

    assert result.returncode == 0, _output(result)
    assert result.stdout.splitlines() == ["None", "<RecordingTranscriptionStatus.DONE: 'done'>"]
