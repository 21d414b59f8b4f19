"""`nox -s update-spec -- SOURCE` (issue 16): Clerk's published spec applied as a routine.

`python -m pipeline.update_spec` (what the session runs) runs in throwaway copies of this
repository (tests/support/repo_copy.py) against a web server on 127.0.0.1 that serves HTTPS with a
certificate from a CA made here (trustme; the subprocess trusts it through SSL_CERT_FILE). Each
case checks the exit code, the bytes of what must change and of what must not (swagger.yml,
generated/, generator_config.yaml, CHANGELOG.md), and the Markdown report in
.build/change-report.md. Refusals never write, so they share one copy and assert it stays
byte-identical; each applied change gets its own copy (one generation each, a few seconds).
"""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme

from pipeline import changes, fetch
from pipeline.errors import PipelineError
from tests.support import spec_edits
from tests.support.fake_clerk import free_port
from tests.support.repo_copy import REPO, RepoCopy, copy_repo
from tests.support.spec_server import Declared, Document, Drip, Endless, Moved, SpecServer

CAP = fetch.Limits().max_bytes
SECTIONS = ("### Operations", "### Models", "### Security & servers", "### Python API")


# --------------------------------------------------------------------------------------------
# servers, copies and runs


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture(scope="module")
def https(ca: trustme.CA) -> Iterator[SpecServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    with SpecServer(tls=context) as server:
        yield server


@pytest.fixture(scope="module")
def plain() -> Iterator[SpecServer]:
    with SpecServer() as server:
        yield server


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> RepoCopy:
    """One copy for every refusal: a refusal writes nothing, which each test checks."""
    return copy_repo(tmp_path_factory.mktemp("pristine") / "repo")


@dataclass(frozen=True)
class State:
    """The bytes an update may change."""

    spec: bytes
    config: bytes
    changelog: bytes
    generated: dict[str, bytes]


def state(copy: RepoCopy) -> State:
    return State(
        copy.spec.read_bytes(),
        (copy.root / "generator_config.yaml").read_bytes(),
        (copy.root / "CHANGELOG.md").read_bytes(),
        copy.snapshot(),
    )


@dataclass(frozen=True)
class Run:
    result: subprocess.CompletedProcess[str]
    report: str
    before: State
    after: State

    @property
    def code(self) -> int:
        return self.result.returncode

    def output(self) -> str:
        return f"exit {self.code}\n--- stdout\n{self.result.stdout}\n--- stderr\n{self.result.stderr}"


def update(copy: RepoCopy, ca_file: Path, *args: str, source_env: str | None = None) -> Run:
    """Run the copy's `python -m pipeline.update_spec` as the nox session does."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("CLERK_CHAT_")}
    env["SSL_CERT_FILE"] = str(ca_file)
    if source_env is not None:
        env["CLERK_CHAT_SPEC_URL"] = source_env
    report = copy.root / ".build" / "change-report.md"
    report.unlink(missing_ok=True)
    before = state(copy)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.update_spec", *args],
        cwd=copy.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    text = report.read_text(encoding="utf-8") if report.exists() else ""
    return Run(result, text, before, state(copy))


def version(copy: RepoCopy) -> str:
    return changes.configured_version(copy.root / "generator_config.yaml")


def bumped(old: str, part: str) -> str:
    major, minor, patch = (int(number) for number in old.split("."))
    return {"major": f"{major + 1}.0.0", "minor": f"{major}.{minor + 1}.0", "patch": f"{major}.{minor}.{patch + 1}"}[
        part
    ]


def edited(tmp_path: Path, *edits: Callable[[Any], Any]) -> bytes:
    """The real swagger.yml with `edits` applied (ruamel round trip), as bytes to publish."""
    path = tmp_path / "edited.yml"
    path.write_bytes((REPO / "swagger.yml").read_bytes())
    for change in edits:
        spec_edits.edit(path, change)
    return path.read_bytes()


def as_json(yaml_bytes: bytes, tmp_path: Path) -> bytes:
    path = tmp_path / "as-json.yml"
    path.write_bytes(yaml_bytes)
    return (json.dumps(spec_edits.load(path), indent=2) + "\n").encode("utf-8")


def section(report: str, heading: str) -> list[str]:
    """The list items under one `### heading` of the report."""
    body = report.split(f"\n{heading}\n", 1)[1].split("\n### ", 1)[0]
    return [line for line in body.splitlines() if line.startswith("- ")]


def assert_applied(run: Run, served: bytes) -> None:
    """swagger.yml holds exactly what was served; the report exists."""
    assert run.after.spec == served, run.output()
    assert run.after.spec != run.before.spec
    assert run.report, run.output()


def assert_untouched(run: Run) -> None:
    assert run.after == run.before, "a refused or unchanged update touched the repository\n" + run.output()


# --------------------------------------------------------------------------------------------
# applied changes


def test_additive_change_is_applied_with_exit_0(tmp_path: Path, https: SpecServer, ca_file: Path) -> None:
    served = edited(tmp_path, spec_edits.add_message_operation)
    https.routes["/additive/swagger.yml"] = Document(served)
    https.routes["/additive/latest"] = Moved("/additive/swagger.yml", status=301)  # followed: it stays https
    copy = copy_repo(tmp_path / "repo")
    old = version(copy)

    run = update(copy, ca_file, https.url("/additive/latest"))

    assert run.code == 0, run.output()
    assert https.requests.count("/additive/latest") == 1 and https.requests.count("/additive/swagger.yml") == 1
    assert_applied(run, served)
    new = bumped(old, "minor")
    assert version(copy) == new
    assert run.after.changelog.decode().startswith(f"# Changelog\n\n## {new} — additive\n\n- operation added: GET ")
    added = {name for name in run.after.generated.keys() - run.before.generated.keys()}
    assert "clerk-chat-client/clerk_chat_client/api/messages/get_message.py" in added
    assert not run.before.generated.keys() - run.after.generated.keys()

    summary = run.report.splitlines()[0]
    assert summary.startswith(f"**Additive**: version {old} → {new} (minor bump), 5 changes (5 additive)."), summary
    assert [line for line in run.report.splitlines() if line.startswith("### ")][:4] == list(SECTIONS)
    assert section(run.report, "### Operations") == [
        "- additive operation added: `GET /public/messages/{message_id}` — clerk\\_chat\\_client.api.messages."
        "get\\_message(message\\_id: str, include\\_media: bool | Unset = UNSET) -> MessageResponse"
    ]
    assert section(run.report, "### Models") == [
        "- additive model added: `MessageObject` — id: str, body: str, created\\_at: datetime.datetime",
        "- additive model added: `MessageResponse` — data: MessageObject",
    ]
    assert section(run.report, "### Security & servers") == ["- no change"]
    assert section(run.report, "### Python API") == [  # the new tag's resource on both clients
        "- additive python API added: `clerk_chat_client.api.AsyncResources.messages` — new public object",
        "- additive python API added: `clerk_chat_client.api.Resources.messages` — new public object",
    ]
    assert f"- fetched `{https.url('/additive/latest')}`: {len(served)} bytes" in run.report
    assert "- added `clerk-chat-client/clerk_chat_client/api/messages/get_message.py`" in run.report
    assert "API change report" in run.result.stdout and "additive: " in run.result.stdout


def test_breaking_change_is_applied_with_exit_3(tmp_path: Path, https: SpecServer, ca_file: Path) -> None:
    served = edited(
        tmp_path,
        spec_edits.add_message_operation,
        lambda document: spec_edits.retype_response_field(document, "connectUrl", "integer"),
    )
    https.routes["/breaking/swagger.yml"] = Document(served)
    copy = copy_repo(tmp_path / "repo")
    old = version(copy)

    run = update(copy, ca_file, https.url("/breaking/swagger.yml"))

    assert run.code == 3, run.output()
    assert_applied(run, served)
    new = bumped(old, "major")
    assert version(copy) == new
    assert f"## {new} — breaking\n" in run.after.changelog.decode()
    connector = "clerk-chat-client/clerk_chat_client/models/twilio_connector_object.py"
    assert run.after.generated[connector] != run.before.generated[connector]
    assert "breaking change applied (exit 3)" in run.result.stdout

    summary = run.report.splitlines()[0]
    assert summary.startswith(f"**Breaking**: version {old} → {new} (major bump), 6 changes (1 breaking, 5 additive)")
    assert "review those changes before merging" in summary
    models = section(run.report, "### Models")
    assert models[0] == "- **breaking** field changed: `TwilioConnectorObject.connect_url` — type str -> int"
    assert [line.split()[1] for line in models] == ["**breaking**", "additive", "additive"]  # breaking first
    assert section(run.report, "### Operations")[0].startswith("- additive operation added: `GET /public/messages/")


def test_same_document_as_json_changes_swagger_yml_only(tmp_path: Path, https: SpecServer, ca_file: Path) -> None:
    served = as_json((REPO / "swagger.yml").read_bytes(), tmp_path)
    https.routes["/json/openapi.json"] = Document(served, "application/json")
    copy = copy_repo(tmp_path / "repo")

    run = update(copy, ca_file, https.url("/json/openapi.json"))

    assert run.code == 0, run.output()
    assert_applied(run, served)
    assert run.after.generated == run.before.generated
    assert (run.after.config, run.after.changelog) == (run.before.config, run.before.changelog)
    assert run.report.startswith("**No change to the client**: swagger.yml now holds the fetched document")
    assert f"version {version(copy)} stays, no changelog entry" in run.report
    assert "nothing changed in the client" in run.result.stdout


def test_file_path_source_is_applied(tmp_path: Path, https: SpecServer, ca_file: Path) -> None:
    """A description edit: the generated docstring changes, the API does not (a patch)."""

    def reword(document: Any) -> None:
        _path, _method, operation = spec_edits.find_operation(document, spec_edits.CONNECT_OPERATION_ID)
        operation["description"] = "Creates a dedicated websocket URL for the inbox given"

    source = tmp_path / "clerk-spec.yml"
    source.write_bytes(edited(tmp_path, reword))
    copy = copy_repo(tmp_path / "repo")
    old = version(copy)

    run = update(copy, ca_file, str(source))

    assert run.code == 0, run.output()
    assert_applied(run, source.read_bytes())
    new = bumped(old, "patch")
    assert version(copy) == new
    assert f"## {new} — none\n" in run.after.changelog.decode()
    changed = {name for name in run.before.generated if run.after.generated.get(name) != run.before.generated[name]}
    assert changed == {  # the docstrings of the operation module and of its resource methods
        "clerk-chat-client/clerk_chat_client/api/twilio/__init__.py",
        "clerk-chat-client/clerk_chat_client/api/twilio/connect.py",
        "clerk-chat-client/pyproject.toml",
    }
    assert run.report.startswith(f"**No API change**: version {old} → {new} (patch bump), no change to the public API.")
    assert all(section(run.report, heading) == ["- no change"] for heading in SECTIONS)
    assert f"- fetched `{source}`" in run.report


def test_unchanged_document_from_the_env_var_changes_nothing(
    pristine: RepoCopy, https: SpecServer, ca_file: Path
) -> None:
    https.routes["/unchanged/swagger.yml"] = Document(pristine.spec.read_bytes())

    run = update(pristine, ca_file, source_env=https.url("/unchanged/swagger.yml"))

    assert run.code == 0, run.output()
    assert https.requests.count("/unchanged/swagger.yml") == 1
    assert_untouched(run)
    assert "nothing to do" in run.result.stdout
    assert run.report.startswith(
        f"**Unchanged**: swagger.yml already holds this document; nothing was regenerated and version "
        f"{version(pristine)} stays."
    )


def test_plain_http_on_loopback_is_fetched(pristine: RepoCopy, plain: SpecServer, ca_file: Path) -> None:
    plain.routes["/mirror/swagger.yml"] = Document(pristine.spec.read_bytes())

    run = update(pristine, ca_file, plain.url("/mirror/swagger.yml"))

    assert run.code == 0, run.output()
    assert plain.requests.count("/mirror/swagger.yml") == 1
    assert_untouched(run)
    assert run.report.startswith("**Unchanged**: swagger.yml already holds this document")


def test_generation_failure_puts_every_file_back(tmp_path: Path, https: SpecServer, ca_file: Path) -> None:
    """A valid document the pipeline cannot generate: swagger.yml was written, then restored."""

    def clashing_operations(document: Any) -> None:
        """Two operations without an operationId whose paths differ only in punctuation: valid
        OpenAPI, but no naming rule can tell their modules apart (README, "Readable names")."""
        path, method, operation = spec_edits.find_operation(document, spec_edits.CONNECT_OPERATION_ID)
        for twin_path in (path + "/re-connect", path + "/re_connect"):
            twin = json.loads(json.dumps(operation))
            del twin["operationId"]
            document["paths"][twin_path] = {method: twin}

    served = edited(tmp_path, clashing_operations)
    https.routes["/clash/swagger.yml"] = Document(served)
    copy = copy_repo(tmp_path / "repo")

    run = update(copy, ca_file, https.url("/clash/swagger.yml"))

    assert run.code == 1, run.output()
    assert_untouched(run)
    assert "no naming rule tells them apart" in run.result.stderr
    assert run.report.startswith("**Refused**: nothing was changed")
    assert "/re_connect" in run.report


# --------------------------------------------------------------------------------------------
# refusals: exit 1, nothing written


def assert_refused(run: Run, *messages: str) -> None:
    assert run.code == 1, run.output()
    assert_untouched(run)
    for message in messages:
        assert message in run.result.stderr, f"{message!r} not in stderr\n{run.output()}"
        assert message in run.report, f"{message!r} not in the report\n{run.report}"
    assert run.report.startswith("**Refused**: nothing was changed (swagger.yml, generated/")


def test_broken_document_is_refused(tmp_path: Path, pristine: RepoCopy, https: SpecServer, ca_file: Path) -> None:
    def drop_responses(document: Any) -> None:
        _path, _method, operation = spec_edits.find_operation(document, spec_edits.CONNECT_OPERATION_ID)
        del operation["responses"]

    served = edited(tmp_path, drop_responses)
    post_line = served.decode().splitlines().index("    post:") + 1
    https.routes["/broken/broken.yml"] = Document(served)

    run = update(pristine, ca_file, https.url("/broken/broken.yml"))

    url = https.url("/broken/broken.yml")
    assert_refused(run, f"the document from {url} is not a usable spec", f"broken.yml:{post_line}", "responses")


def test_broken_json_is_refused_with_its_position(
    tmp_path: Path, pristine: RepoCopy, https: SpecServer, ca_file: Path
) -> None:
    text = as_json((REPO / "swagger.yml").read_bytes(), tmp_path).decode()
    broken = text.replace('"3.0.0",\n', '"3.0.0"\n', 1)  # a comma missing before "info"
    at = broken.index('"info"')
    line, column = broken.count("\n", 0, at) + 1, at - broken.rindex("\n", 0, at)
    https.routes["/broken/openapi.json"] = Document(broken.encode(), "application/json")

    run = update(pristine, ca_file, https.url("/broken/openapi.json"))

    assert_refused(run, f"openapi.json:{line}:{column}: not valid JSON: Expecting ',' delimiter")


def test_404_is_refused(pristine: RepoCopy, https: SpecServer, ca_file: Path) -> None:
    url = https.url("/nowhere/swagger.yml")

    run = update(pristine, ca_file, url)

    assert_refused(run, f"cannot fetch {url}: HTTP 404 Not Found")


def test_connection_refused_is_refused(pristine: RepoCopy, ca_file: Path) -> None:
    url = f"https://127.0.0.1:{free_port()}/swagger.yml"

    run = update(pristine, ca_file, url)

    assert_refused(run, f"cannot fetch {url}: connection failed (")


def test_endless_body_is_cut_off_at_the_cap(pristine: RepoCopy, https: SpecServer, ca_file: Path) -> None:
    https.routes["/huge/swagger.yml"] = Endless(limit=8 * CAP)

    run = update(pristine, ca_file, https.url("/huge/swagger.yml"))

    assert_refused(run, f"cannot fetch {https.url('/huge/swagger.yml')}: the body exceeds {CAP} bytes")
    sent = https.streamed("/huge/swagger.yml")
    assert CAP < sent < 8 * CAP, f"the server sent {sent} bytes: the client did not hang up at the cap"


def test_declared_huge_body_is_refused_unread(pristine: RepoCopy, https: SpecServer, ca_file: Path) -> None:
    https.routes["/declared/swagger.yml"] = Declared(CAP + 1)

    run = update(pristine, ca_file, https.url("/declared/swagger.yml"))

    assert_refused(run, f"it declares {CAP + 1} bytes, more than {CAP}")


def test_redirect_to_http_is_refused(pristine: RepoCopy, https: SpecServer, plain: SpecServer, ca_file: Path) -> None:
    target = plain.url("/downgraded/swagger.yml")
    plain.routes["/downgraded/swagger.yml"] = Document(pristine.spec.read_bytes())
    https.routes["/downgrade/swagger.yml"] = Moved(target)

    run = update(pristine, ca_file, https.url("/downgrade/swagger.yml"))

    assert_refused(run, f"it redirects (HTTP 302) to {target}, which is not https: refused")
    assert "/downgraded/swagger.yml" not in plain.requests


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("http://clerk.example/swagger.yml", "plain http is accepted only on this machine"),
        ("ftp://127.0.0.1:9/swagger.yml", "only http(s) URLs are accepted"),
        ("https://clerk:s3cr3t-pw@127.0.0.1:9/swagger.yml", "the spec URL carries credentials"),
        ("missing-dir/swagger.yml", "cannot read missing-dir/swagger.yml: No such file or directory"),
    ],
    ids=["http-off-loopback", "ftp", "credentials", "missing-file"],
)
def test_unusable_source_is_refused_before_any_request(
    source: str, message: str, pristine: RepoCopy, ca_file: Path
) -> None:
    run = update(pristine, ca_file, source)

    assert_refused(run, message)
    assert "s3cr3t-pw" not in run.result.stdout + run.result.stderr + run.report


def test_no_source_is_refused(pristine: RepoCopy, ca_file: Path) -> None:
    run = update(pristine, ca_file)

    assert_refused(run, "no SOURCE: pass an http(s) URL or a file path, or set CLERK_CHAT_SPEC_URL")


# --------------------------------------------------------------------------------------------
# the download's limits, in process with small ones


@pytest.fixture
def trusted(ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))


SMALL = fetch.Limits(timeout=0.5, total=1.5, max_bytes=1000, max_redirects=2)


@pytest.mark.usefixtures("trusted")
def test_a_stalled_body_times_out(https: SpecServer) -> None:
    https.routes["/stall/swagger.yml"] = Declared(500)

    with pytest.raises(PipelineError, match=r"timed out waiting for data \(limit 0\.5 s\)"):
        fetch.fetch(https.url("/stall/swagger.yml"), SMALL)


@pytest.mark.usefixtures("trusted")
def test_a_dripping_body_hits_the_total_deadline(https: SpecServer) -> None:
    https.routes["/drip/swagger.yml"] = Drip(interval=0.05)  # never idle long enough for the read timeout

    with pytest.raises(PipelineError, match=r"the download took more than 1\.5 s"):
        fetch.fetch(https.url("/drip/swagger.yml"), SMALL)


@pytest.mark.usefixtures("trusted")
def test_redirects_are_followed_a_bounded_number_of_times(https: SpecServer) -> None:
    https.routes["/loop/a"] = Moved("/loop/b")
    https.routes["/loop/b"] = Moved("/loop/a")

    with pytest.raises(PipelineError, match=r"/loop/\w \(redirected from .*/loop/a\): more than 2 redirects"):
        fetch.fetch(https.url("/loop/a"), SMALL)
    assert https.requests.count("/loop/a") + https.requests.count("/loop/b") == 3


@pytest.mark.usefixtures("trusted")
def test_a_redirect_to_credentials_is_refused_without_showing_them(https: SpecServer) -> None:
    https.routes["/to-credentials/swagger.yml"] = Moved(https.url("/swagger.yml").replace("://", "://bot:pw-9a8b@"))

    with pytest.raises(PipelineError, match="it redirects to a URL with credentials: refused") as refused:
        fetch.fetch(https.url("/to-credentials/swagger.yml"), SMALL)
    assert "pw-9a8b" not in str(refused.value)
    assert "/swagger.yml" not in https.requests
