"""Publishing end to end: build -> pypiserver with a password -> pip install in a fresh venv.

Every subprocess is run through a Recorder, which refuses to start one whose argv holds the
password and keeps all output, so each test can prove the password never surfaced. Python
children of those subprocesses (twine, build) are watched too: a sitecustomize on PYTHONPATH
adds an audit hook that logs the argv of every process they start.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import shlex
import subprocess
import sys
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from email.message import Message
from email.parser import BytesParser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from pipeline import build, publish
from pipeline.errors import PipelineError
from pipeline.local_index import IndexServer, start_server
from tests.support.fake_clerk import FakeClerk

REPO = Path(__file__).resolve().parents[1]
PROJECT = REPO / "generated" / "clerk-chat-client"
VERSION = build.project_version(PROJECT)

AUDIT_HOOK = """
import json, os, sys

def _argv_audit(event, args):
    if event not in ("subprocess.Popen", "os.posix_spawn", "os.exec", "os.spawn"):
        return
    argv = args[1] if event in ("subprocess.Popen", "os.posix_spawn", "os.exec") else args[2]
    if isinstance(argv, (str, bytes, os.PathLike)):
        argv = [argv]
    try:
        with open(os.environ["ARGV_AUDIT_LOG"], "a", encoding="utf-8") as log:
            log.write(json.dumps([os.fsdecode(a) for a in argv]) + "\\n")
    except Exception:
        pass

if os.environ.get("ARGV_AUDIT_LOG"):
    sys.addaudithook(_argv_audit)
"""


class Recorder:
    """Runs subprocesses, keeps every byte they print, and checks argv/output for secrets."""

    def __init__(self, tmp: Path) -> None:
        self.outputs: list[str] = []
        self.argvs: list[list[str]] = []
        self.hook_dir = tmp / "audit"
        self.hook_dir.mkdir()
        (self.hook_dir / "sitecustomize.py").write_text(AUDIT_HOOK, encoding="utf-8")
        self.audit_log = tmp / "argv-audit.jsonl"
        self.secrets: set[str] = set()

    def base_env(self) -> dict[str, str]:
        """This environment without any twine settings, with the argv audit hook."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("TWINE_")}
        env["PYTHONPATH"] = str(self.hook_dir)
        env["ARGV_AUDIT_LOG"] = str(self.audit_log)
        return env

    def run(
        self, argv: Sequence[str], env: Mapping[str, str], cwd: Path = REPO, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        argv = [str(a) for a in argv]
        assert not any(s in a for s in self.secrets for a in argv), "a secret is on a command line"
        self.argvs.append(argv)
        result = subprocess.run(
            argv,
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        self.outputs += [result.stdout, result.stderr]
        return result

    def publish(self, dist: Path, url: str, username: str, password: str) -> subprocess.CompletedProcess[str]:
        """`python -m pipeline.publish`, credentials in its environment only."""
        self.secrets.add(password)
        env = self.base_env() | {"TWINE_REPOSITORY_URL": url, "TWINE_USERNAME": username, "TWINE_PASSWORD": password}
        return self.run([sys.executable, "-m", "pipeline.publish", "--project", str(PROJECT), "--dist", str(dist)], env)

    def assert_no_secrets(self, *extra_texts: str) -> None:
        children = self.audit_log.read_text(encoding="utf-8").splitlines() if self.audit_log.exists() else []
        assert any('"upload"' in line and "twine" in line for line in children), (
            "the argv audit hook saw no twine upload"
        )
        # Booleans only: pytest would print the compared strings, and with them the secret.
        texts = [*self.outputs, *extra_texts]
        leaked_output = any(secret in text for secret in self.secrets for text in texts)
        leaked_argv = any(secret in line for secret in self.secrets for line in children)
        assert not leaked_output, "a secret appeared in captured output"
        assert not leaked_argv, "a secret appeared on a child process's command line"


def pip_env() -> dict[str, str]:
    """pip that sees only the --index-url it is given: no config files, find-links or extra indexes."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "TWINE_")) and k != "PYTHONPATH"}
    env |= {
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_FIND_LINKS": "",
        "PIP_NO_INPUT": "1",
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
    }
    if "PIP_CERT" in os.environ:  # a trust store, not a package source
        env["PIP_CERT"] = os.environ["PIP_CERT"]
    return env


def make_venv(where: Path, recorder: Recorder) -> Path:
    result = recorder.run([sys.executable, "-m", "venv", str(where)], pip_env(), cwd=where.parent)
    assert result.returncode == 0, result.stderr
    return where


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def run_in_venv(venv: Path, code: str, *, env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run Python code in a fresh venv, isolated (-I) from this repo and its PYTHONPATH."""
    return subprocess.run(
        [str(venv_python(venv)), "-I", "-c", code],
        cwd=venv,
        env=dict(env if env is not None else pip_env()),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def sha256_of(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel and sdist, built once by the real pipeline step into a temporary dist/."""
    out = tmp_path_factory.mktemp("dist")
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.build", "--project", str(PROJECT), "--outdir", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert build.find_distributions(out, VERSION) is not None
    return out


@pytest.fixture
def recorder(tmp_path: Path) -> Recorder:
    return Recorder(tmp_path)


@pytest.fixture
def password() -> str:
    return "pw-" + secrets.token_urlsafe(18)


@pytest.fixture
def index(tmp_path: Path, password: str) -> Iterator[IndexServer]:
    with start_server(tmp_path / "index", password=password) as server:
        yield server


def test_publish_then_pip_install_in_a_fresh_venv_then_refuse_republish(
    dist: Path, index: IndexServer, recorder: Recorder, tmp_path: Path
) -> None:
    first = recorder.publish(dist, index.url, index.username, index.password)
    assert first.returncode == 0, first.stdout + first.stderr
    pip_line = next(line.strip() for line in first.stdout.splitlines() if line.strip().startswith("pip install"))
    assert pip_line == f"pip install --index-url {index.simple_url} clerk-chat-client=={VERSION}"
    published = sha256_of(index.packages)
    built = build.find_distributions(dist, VERSION)
    assert built is not None and sorted(published) == sorted(p.name for p in built.files)

    # The printed line, as a user would run it, in a venv that sees nothing but the local index
    # (pypiserver redirects httpx2, attrs and python-dateutil to PyPI, its fallback).
    venv = make_venv(tmp_path / "venv", recorder)
    install = recorder.run([str(venv_python(venv)), "-m", *shlex.split(pip_line)], pip_env(), cwd=tmp_path, timeout=240)
    assert install.returncode == 0, install.stdout + install.stderr
    shown = run_in_venv(
        venv,
        "import importlib.metadata as m, clerk_chat_client as c; print(m.version('clerk-chat-client')); print(c.__file__)",
    )
    recorder.outputs += [shown.stdout, shown.stderr]
    assert shown.returncode == 0, shown.stderr
    installed_version, module_file = shown.stdout.split()
    assert installed_version == VERSION
    assert Path(module_file).resolve().is_relative_to(venv.resolve())

    # The client's stack is httpx2: the install brought it, and not the unmaintained httpx.
    listed = run_in_venv(
        venv,
        "import importlib.metadata as m; print(' '.join(sorted(d.metadata['Name'].lower() for d in m.distributions())))",
    )
    assert listed.returncode == 0, listed.stderr
    distributions = set(listed.stdout.split())
    assert {"httpx2", "httpcore2", "attrs", "python-dateutil"} <= distributions
    assert not distributions & {"httpx", "httpcore"}, sorted(distributions)

    # ... and the installed client really talks to a (fake) Clerk server.
    with FakeClerk() as clerk:
        called = run_in_venv(
            venv,
            "from clerk_chat_client import ClerkChatClient\n"
            "from clerk_chat_client.api.twilio import connect\n"
            "from clerk_chat_client.models import ConnectTwilioRequest\n"
            f"with ClerkChatClient(api_key='installed-key', base_url={clerk.url!r}) as client:\n"
            "    print(connect.sync(client=client, body=ConnectTwilioRequest(inbox_external_id='i')).data.connect_url)\n",
        )
        recorder.outputs += [called.stdout, called.stderr]
        assert called.returncode == 0, called.stderr
        assert called.stdout.strip() == "wss://example.test/stream"
        assert clerk.requests[-1].headers["apikey"] == "installed-key"

    again = recorder.publish(dist, index.url, index.username, index.password)
    assert again.returncode == publish.EXIT_REFUSED, again.stdout + again.stderr
    assert f"{VERSION} is already published" in again.stderr and "bump the version" in again.stderr
    assert "Uploading" not in again.stdout
    assert sha256_of(index.packages) == published
    recorder.assert_no_secrets((index.root / "server.log").read_text(encoding="utf-8"))


def test_wrong_password_is_one_clear_line(dist: Path, index: IndexServer, recorder: Recorder) -> None:
    wrong = "not-" + secrets.token_urlsafe(12)
    recorder.secrets.add(index.password)
    result = recorder.publish(dist, index.url, index.username, wrong)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(errors) == 1 and "refused the credentials" in errors[0] and "403" in errors[0], result.stderr
    assert list(index.packages.iterdir()) == []
    recorder.assert_no_secrets((index.root / "server.log").read_text(encoding="utf-8"))


def test_a_half_finished_upload_is_resumed_never_overwritten(
    dist: Path, index: IndexServer, recorder: Recorder
) -> None:
    built = build.find_distributions(dist, VERSION)
    assert built is not None
    (index.packages / built.wheel.name).write_bytes(built.wheel.read_bytes())  # the wheel went up, the sdist did not
    before = sha256_of(index.packages)

    result = recorder.publish(dist, index.url, index.username, index.password)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "resuming" in result.stdout and f"uploading {built.sdist.name} " in result.stdout
    after = sha256_of(index.packages)
    assert after[built.wheel.name] == before[built.wheel.name] and built.sdist.name in after
    assert recorder.publish(dist, index.url, index.username, index.password).returncode == publish.EXIT_REFUSED
    recorder.assert_no_secrets()


def test_a_different_file_of_the_same_version_is_refused(tmp_path: Path, dist: Path) -> None:
    built = build.find_distributions(dist, VERSION)
    assert built is not None
    with pytest.raises(publish.Refused, match="different content"):
        publish.plan(built.files, {built.wheel.name: "0" * 64}, VERSION, "the index")
    with pytest.raises(publish.Refused, match="other files"):
        publish.plan(
            built.files, {f"clerk_chat_client-{VERSION}-cp311-cp311-linux_x86_64.whl": None}, VERSION, "the index"
        )
    assert publish.plan(built.files, {}, VERSION, "the index") == list(built.files)


def test_credentials_are_refused_as_arguments_without_echo(recorder: Recorder) -> None:
    secret = "argv-" + secrets.token_urlsafe(12)
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.publish", f"--password={secret}", "-u", "someone"],
        cwd=REPO,
        env=recorder.base_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode != 0
    assert "never taken from arguments" in result.stderr
    assert secret not in result.stdout + result.stderr


def test_build_checks_name_what_must_not_ship(tmp_path: Path, dist: Path) -> None:
    built = build.find_distributions(dist, VERSION)
    assert built is not None
    bad = tmp_path / built.wheel.name
    with zipfile.ZipFile(built.wheel) as good, zipfile.ZipFile(bad, "w") as out:
        for name in good.namelist():
            data = good.read(name)
            if name.endswith("/METADATA"):
                data = data.replace(
                    b"Requires-Dist: attrs>=23.1\n", b"Requires-Dist: attrs\nRequires-Dist: requests>=2\n"
                )
            if not name.endswith("py.typed"):
                out.writestr(name, data)
        out.writestr("clerk_chat_client/__pycache__/x.cpython-311.pyc", b"")
        out.writestr("tests/test_x.py", b"")
        out.writestr(".pypirc", b"")
    problems = "\n".join(build.check_wheel(bad))
    for expected in (
        "py.typed is missing",
        "__pycache__",
        "unexpected tests/test_x.py",
        ".pypirc",
        "'attrs' has no version range",
        "extra: ['requests']",
    ):
        assert expected in problems
    assert build.check_wheel(built.wheel) == [] and build.check_sdist(built.sdist) == []


RUNTIME = ("Requires-Dist: httpx2<3,>=2.16", "Requires-Dist: attrs>=23.1", "Requires-Dist: python-dateutil>=2.8.2")
REDIS_EXTRA = ("Provides-Extra: redis", 'Requires-Dist: redis<9,>=5.0.1; extra == "redis"')


def metadata_with(*lines: str) -> Message:
    head = [
        "Metadata-Version: 2.4",
        "Name: clerk-chat-client",
        "Version: 9.9.9",
        "Summary: the client",
        "Project-URL: Homepage, https://clerk.chat",
        "License-Expression: MIT",
        "Requires-Python: >=3.11",
        "Description-Content-Type: text/markdown",
    ]
    return BytesParser().parsebytes("\n".join([*head, *lines, "", "# readme", ""]).encode())


@pytest.mark.parametrize(
    ("lines", "problem"),
    [
        (RUNTIME + REDIS_EXTRA, None),
        (RUNTIME, "extras must be exactly ['redis'], found []"),
        (
            RUNTIME + REDIS_EXTRA + ('Requires-Dist: hiredis>=2; extra == "redis"',),
            "extra 'redis' must add exactly ['redis'], adds ['hiredis', 'redis']",
        ),
        (
            RUNTIME + REDIS_EXTRA + ("Provides-Extra: fast", 'Requires-Dist: orjson>=3; extra == "fast"'),
            "extras must be exactly ['redis'], found ['fast', 'redis']",
        ),
        (RUNTIME + ("Provides-Extra: redis", 'Requires-Dist: redis; extra == "redis"'), "has no version range"),
        (RUNTIME + REDIS_EXTRA + ("Requires-Dist: requests>=2",), "extra: ['requests']"),
        (RUNTIME + REDIS_EXTRA + ('Requires-Dist: orjson>=3; extra == "fast"',), "belongs to no declared extra"),
        (
            RUNTIME + ("Provides-Extra: redis", 'Requires-Dist: redis>=5; python_version >= "3.11"'),
            "extra: ['redis']",  # a marker that holds without the extra makes it a runtime dependency
        ),
    ],
)
def test_the_one_optional_extra_is_accepted_and_nothing_else(lines: tuple[str, ...], problem: str | None) -> None:
    problems = build.check_metadata(metadata_with(*lines), "x.whl")
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_the_built_wheel_offers_the_redis_extra(dist: Path) -> None:
    built = build.find_distributions(dist, VERSION)
    assert built is not None
    with zipfile.ZipFile(built.wheel) as wheel:
        name = next(n for n in wheel.namelist() if n.endswith(".dist-info/METADATA"))
        metadata = BytesParser().parsebytes(wheel.read(name))
    assert metadata.get_all("Provides-Extra") == ["redis"]
    optional = [Requirement(line) for line in metadata.get_all("Requires-Dist") or [] if "extra" in line]
    assert [(r.name, str(r.specifier)) for r in optional] == [("redis", "<9,>=5.0.1")]
    assert optional[0].marker is not None and optional[0].marker.evaluate({"extra": "redis"})
    assert build.check_wheel(built.wheel) == []


def test_local_index_records_state_and_keeps_credentials_private(tmp_path: Path) -> None:
    with start_server(tmp_path / "li") as server:
        state = json.loads((server.root / "state.json").read_text(encoding="utf-8"))
        assert state["url"] == server.url and state["pid"] == server.pid
        credentials = server.root / "credentials.json"
        assert credentials.stat().st_mode & 0o077 == 0 and (server.root / "htpasswd").stat().st_mode & 0o077 == 0
        assert server.password not in repr(server)
        assert server.password not in (server.root / "htpasswd").read_text(encoding="utf-8")
    assert not (server.root / "state.json").exists()
    with pytest.raises(PipelineError):
        publish.index_files(
            publish.Target("http://127.0.0.1:9/", "http://127.0.0.1:9/simple/", (), {}, None, (), "nowhere"), VERSION
        )
