"""A real Redis for tests: Debian's `redis-server`, started on 127.0.0.1 on a free port.

    with RedisServer(tmp_path) as redis_server:
        store = RedisRateLimitStore.from_url(redis_server.url)
        ...
        redis_server.kill()      # SIGKILL, as when a machine dies
        redis_server.start()     # again, on the same port, empty

No persistence, no other network: a config file in the test's temporary folder (so a password,
when set, is never on a command line). `.ci/run` installs the package on CI machines.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from types import TracebackType

import pytest
import redis

from tests.support.fake_clerk import free_port


class RedisServer:
    def __init__(self, folder: Path, *, password: str | None = None) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: apt-get install redis-server (.ci/run does)")
        self._binary = binary
        self.port = free_port()
        self.password = password
        self._folder = folder
        self._config = folder / "redis.conf"
        lines = [f"port {self.port}", "bind 127.0.0.1", 'save ""', "appendonly no", f"dir {folder}", "loglevel warning"]
        if password is not None:
            lines.append(f"requirepass {password}")
        self._config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self._config.chmod(0o600)
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password is not None else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=5)

    def start(self) -> None:
        log = (self._folder / "redis.log").open("ab")
        self._process = subprocess.Popen([self._binary, str(self._config)], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + 10
        with self.client() as probe:
            while True:
                try:
                    probe.ping()
                    return
                except redis.ConnectionError:
                    if self._process.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"redis-server did not start: see {self._folder / 'redis.log'}") from None
                    time.sleep(0.02)

    def kill(self) -> None:
        """SIGKILL: no goodbye to the connected clients."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    def __enter__(self) -> RedisServer:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None
