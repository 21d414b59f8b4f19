"""TLS on httpx2: a private CA, refused by default and trusted through every documented setting.

httpx2 verifies against the operating system's trust store (truststore) rather than certifi. The
settings 1.x users rely on must keep working: `verify_ssl` as a CA file, a CA directory or an
`ssl.SSLContext`, and the `SSL_CERT_FILE` / `SSL_CERT_DIR` environment variables. The server is
FakeClerk serving HTTPS on 127.0.0.1 with a certificate from a CA made here (trustme), which no
trust store on the machine knows.
"""

from __future__ import annotations

import shutil
import ssl
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
import trustme
from clerk_chat_client import APIConnectionError, ClerkChatClient
from clerk_chat_client.api.twilio import connect
from clerk_chat_client.models import ConnectTwilioRequest

from tests.conftest import API_KEY
from tests.support.fake_clerk import FakeClerk

BODY = ConnectTwilioRequest(inbox_external_id="inbox-123")
MODES = pytest.mark.parametrize("mode", ["sync", "async"])


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def https_server(ca: trustme.CA) -> Iterator[FakeClerk]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with FakeClerk(tls=context) as server:
        yield server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest.fixture
def ca_dir(ca_file: Path, tmp_path: Path) -> Path:
    """A CA directory as OpenSSL reads it: the certificate under its subject-hash name."""
    openssl = shutil.which("openssl")
    assert openssl, "the openssl command is needed to name a CA directory entry (.ci/run installs it)"
    subject_hash = subprocess.run(
        [openssl, "x509", "-hash", "-noout", "-in", str(ca_file)], capture_output=True, text=True, check=True
    ).stdout.strip()
    directory = tmp_path / "ca-dir"
    directory.mkdir()
    shutil.copyfile(ca_file, directory / f"{subject_hash}.0")
    return directory


async def _call_async(client: ClerkChatClient) -> str:
    try:
        return (await connect.asyncio(client=client, body=BODY)).data.connect_url
    finally:
        await client.aclose()


def call(mode: str, server: FakeClerk, **options: Any) -> str:
    """One connect call over HTTPS; DeprecationWarnings (httpx2's for `verify=<str>`) are errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        client = ClerkChatClient(api_key=API_KEY, base_url=server.url, max_retries=0, **options)
        if mode == "async":
            return anyio.run(_call_async, client)
        with client:
            return connect.sync(client=client, body=BODY).data.connect_url


@MODES
def test_an_unknown_ca_is_refused(mode: str, https_server: FakeClerk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(APIConnectionError) as caught:
        call(mode, https_server)
    assert "CERTIFICATE_VERIFY_FAILED" in repr(_chain(caught.value))
    assert https_server.requests == []  # the handshake failed: no request reached the server


@MODES
def test_verify_ssl_as_a_ca_file(mode: str, https_server: FakeClerk, ca_file: Path) -> None:
    assert call(mode, https_server, verify_ssl=str(ca_file)) == "wss://example.test/stream"


@MODES
def test_verify_ssl_as_a_ca_directory(mode: str, https_server: FakeClerk, ca_dir: Path) -> None:
    assert call(mode, https_server, verify_ssl=str(ca_dir)) == "wss://example.test/stream"


@MODES
def test_verify_ssl_as_an_ssl_context(mode: str, https_server: FakeClerk, ca_file: Path) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    assert call(mode, https_server, verify_ssl=context) == "wss://example.test/stream"


@MODES
def test_ssl_cert_file(mode: str, https_server: FakeClerk, ca_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    assert call(mode, https_server) == "wss://example.test/stream"


@MODES
def test_ssl_cert_dir(mode: str, https_server: FakeClerk, ca_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.setenv("SSL_CERT_DIR", str(ca_dir))
    assert call(mode, https_server) == "wss://example.test/stream"


def test_trust_env_false_ignores_ssl_cert_file(
    https_server: FakeClerk, ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    with pytest.raises(APIConnectionError):
        call("sync", https_server, httpx_args={"trust_env": False})


@MODES
def test_verify_ssl_false_skips_verification(mode: str, https_server: FakeClerk) -> None:
    assert call(mode, https_server, verify_ssl=False) == "wss://example.test/stream"


def test_a_client_certificate_in_httpx_args_is_presented(ca: trustme.CA, ca_file: Path, tmp_path: Path) -> None:
    """`cert=` (deprecated by httpx2) still reaches the handshake: the server demands one."""
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca.configure_trust(server_context)
    server_context.verify_mode = ssl.CERT_REQUIRED
    client_cert = ca.issue_cert("client@example.test")
    chain = tmp_path / "client.pem"
    client_cert.private_key_and_cert_chain_pem.write_to_path(str(chain))
    with FakeClerk(tls=server_context) as server:
        with pytest.raises(APIConnectionError):
            call("sync", server, verify_ssl=str(ca_file))
        assert call("sync", server, verify_ssl=str(ca_file), httpx_args={"cert": str(chain)}) == (
            "wss://example.test/stream"
        )


def _chain(error: BaseException) -> list[BaseException]:
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found:
        found.append(current)
        current = current.__cause__ or current.__context__
    return found
