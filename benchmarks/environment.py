"""What a result depends on, recorded next to it: versions, machine, load, time, commit.

Numbers from a shared 2-core machine only mean something next to the load it was under.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import importlib.util
import os
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

from .server import http_protocol


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _git_head(root: Path) -> str | None:
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError):
        return None
    return head.stdout.strip()


def describe(root: Path) -> dict[str, Any]:
    return {
        "datetime_utc": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "python": sys.version.split()[0],
        "python_implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        "httpx2": _version("httpx2"),
        "httpcore2": _version("httpcore2"),
        "httpx": _version("httpx"),
        "httpcore": _version("httpcore"),
        "anyio": _version("anyio"),
        "sniffio_installed": importlib.util.find_spec("sniffio") is not None,
        "clerk_chat_client": _version("clerk-chat-client"),
        "anthropic": _version("anthropic"),
        "pydantic": _version("pydantic"),
        "uvicorn": _version("uvicorn"),
        "server_http_protocol": http_protocol(),
        "git_head": _git_head(root),
    }
