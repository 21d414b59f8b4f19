"""`nox -s local-index -- start|stop|status`: a password-protected pypiserver on 127.0.0.1.

It gives a newcomer a real index to publish to and install from without any account: uploads
need the generated password, listing and downloads are anonymous, files are never overwritten
(pypiserver's default). It runs detached, so it outlives the nox session that started it; what
`stop` and `status` need is in `.local-index/state.json`. The port is 8765 when free (a stable
URL for docs and muscle memory), else any free port; `status` prints the one in use.

Packages missing from the index (httpx2, attrs, ...) are redirected to PyPI by pypiserver's
fallback, so `pip install --index-url <url>/simple/ clerk-chat-client` resolves everything.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from .errors import PipelineError
from .paths import ROOT

STATE_DIR = ROOT / ".local-index"
DEFAULT_PORT = 8765
HOST = "127.0.0.1"
USERNAME = "publisher"
FALLBACK_URL = "https://pypi.org/simple/"
START_TIMEOUT = 20.0


@dataclass
class IndexServer:
    """A running pypiserver: where it listens and how to stop it."""

    root: Path
    port: int
    pid: int
    username: str
    password: str = field(repr=False)
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        """Upload URL (twine's repository URL); the simple index is `simple_url`."""
        return f"http://{HOST}:{self.port}/"

    @property
    def simple_url(self) -> str:
        return f"{self.url}simple/"

    @property
    def packages(self) -> Path:
        return self.root / "packages"

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL) and forget its state."""
        _terminate(self.pid, self.process)
        _state_file(self.root).unlink(missing_ok=True)

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        self.stop()


def _state_file(root: Path) -> Path:
    return root / "state.json"


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner can read, whatever the umask (it holds a password or its hash)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)


def read_credentials(root: Path = STATE_DIR) -> tuple[str, str] | None:
    """(username, password) recorded by an earlier start, or None."""
    try:
        data = json.loads((root / "credentials.json").read_text(encoding="utf-8"))
        return str(data["username"]), str(data["password"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _prepare(root: Path, password: str | None) -> tuple[str, str]:
    """Create the folders, credentials.json and htpasswd; keep an earlier password unless given one."""
    with warnings.catch_warnings():  # passlib 1.7.4 imports the deprecated crypt module
        warnings.filterwarnings("ignore", "'crypt' is deprecated", DeprecationWarning)
        from passlib.apache import HtpasswdFile  # type: ignore[import-untyped]  # passlib ships no types

    root.mkdir(parents=True, exist_ok=True)
    root.chmod(0o700)
    (root / "packages").mkdir(exist_ok=True)
    known = read_credentials(root)
    username = known[0] if known else USERNAME
    if password is None:
        password = known[1] if known else secrets.token_urlsafe(24)
    _write_private(root / "credentials.json", json.dumps({"username": username, "password": password}, indent=1) + "\n")
    # sha256-crypt: pure Python in passlib, so no bcrypt module is needed by pypiserver.
    htpasswd = HtpasswdFile(default_scheme="sha256_crypt")
    htpasswd.set_password(username, password)
    _write_private(root / "htpasswd", htpasswd.to_string().decode("utf-8"))
    return username, password


def _port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}health", timeout=1) as response:
            return int(response.status) == 200
    except (urllib.error.URLError, OSError):
        return False


def _command(root: Path, port: int, fallback_url: str | None) -> list[str]:
    """pypiserver's argv: no secret in it (the password lives in the htpasswd file only)."""
    command = [sys.executable, "-m", "pypiserver", "run", "--host", HOST, "--port", str(port)]
    command += ["--passwords", str(root / "htpasswd"), "--authenticate", "update", "--hash-algo", "sha256"]
    command += ["--disable-fallback"] if fallback_url is None else ["--fallback-url", fallback_url]
    return [*command, str(root / "packages")]


def start_server(
    root: Path, port: int | None = None, password: str | None = None, fallback_url: str | None = FALLBACK_URL
) -> IndexServer:
    """Start pypiserver serving root/packages and wait until it answers.

    port None takes any free port; password None reuses root/credentials.json or makes a new
    one; fallback_url None disables the redirect of unknown projects (to PyPI by default).
    """
    root = root.resolve()
    username, password = _prepare(root, password)
    port = free_port() if port is None else port
    log = open(root / "server.log", "ab")  # noqa: SIM115 - handed to the child, closed right after
    try:
        process = subprocess.Popen(
            _command(root, port, fallback_url),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,  # own session: survives the nox session and its Ctrl-C
        )
    finally:
        log.close()
    server = IndexServer(root=root, port=port, pid=process.pid, username=username, password=password, process=process)
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(server.url):
        if process.poll() is not None or time.monotonic() > deadline:
            _terminate(process.pid, process)
            tail = (root / "server.log").read_text(encoding="utf-8", errors="replace")[-2000:]
            raise PipelineError(f"pypiserver did not start on {server.url} (log {root / 'server.log'}):\n{tail}")
        time.sleep(0.1)
    state = {
        "pid": process.pid,
        "port": port,
        "url": server.url,
        "simple_url": server.simple_url,
        "packages": str(server.packages),
    }
    _state_file(root).write_text(json.dumps(state, indent=1) + "\n", encoding="utf-8")
    return server


def _is_our_server(pid: int, port: int) -> bool:
    """True when pid is alive and is a pypiserver on that port (never signal a recycled pid)."""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True  # no /proc (macOS): alive is the best we can tell
    return b"pypiserver" in argv and str(port).encode() in argv


def _terminate(pid: int, process: subprocess.Popen[bytes] | None) -> None:
    if process is not None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        return
    for sig, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 2.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)


def recorded(root: Path = STATE_DIR) -> IndexServer | None:
    """The server recorded in root/state.json if its process is still alive, else None."""
    try:
        state: dict[str, Any] = json.loads(_state_file(root).read_text(encoding="utf-8"))
        pid, port = int(state["pid"]), int(state["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    credentials = read_credentials(root)
    if credentials is None or not _is_our_server(pid, port):
        return None
    return IndexServer(root=root.resolve(), port=port, pid=pid, username=credentials[0], password=credentials[1])


def running(root: Path = STATE_DIR) -> IndexServer | None:
    """The recorded server if it also answers HTTP, else None."""
    server = recorded(root)
    return server if server is not None and _answers(server.url) else None


def ensure_running(root: Path = STATE_DIR) -> tuple[IndexServer, bool]:
    """The local index, started if needed (port 8765 when free); True when this call started it."""
    server = running(root)
    if server is not None:
        return server, False
    stale = recorded(root)
    if stale is not None:  # alive but not answering: replace it rather than run two
        stale.stop()
    return start_server(root, DEFAULT_PORT if _port_is_free(DEFAULT_PORT) else None), True


def _start() -> None:
    server, started = ensure_running()
    print(f"local index {'started' if started else 'already running'} at {server.url} (pid {server.pid})")
    print(f"  packages: {server.packages}")
    print(f"  upload user {server.username!r}; password in {STATE_DIR / 'credentials.json'} (used by `nox -s publish`)")
    print(f"  install:  pip install --index-url {server.simple_url} clerk-chat-client")


def _stop() -> None:
    server = recorded()
    if server is None:
        _state_file(STATE_DIR).unlink(missing_ok=True)
        print("local index is not running")
        return
    server.stop()
    print(f"local index at {server.url} stopped")


def _status() -> None:
    server = running()
    if server is None:
        print("local index is not running (start it: nox -s local-index -- start)")
    else:
        print(f"local index running at {server.url} (pid {server.pid}), packages in {server.packages}")
        print(f"  install:  pip install --index-url {server.simple_url} clerk-chat-client")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipeline.local_index", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("action", choices=("start", "stop", "status"))
    action = {"start": _start, "stop": _stop, "status": _status}[parser.parse_args(argv).action]
    try:
        action()
    except PipelineError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
