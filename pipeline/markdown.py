"""Quoting text into Markdown (GitHub's flavour), for the change report's pull-request body."""

from __future__ import annotations

import re

_SPECIAL = re.compile(r"([\\`*_\[\]<~])")


def text(plain: str) -> str:
    """Plain text that must read as written: characters that would format (snake_case, `*args`,
    `<T>`, `[x]`) are escaped."""
    return _SPECIAL.sub(r"\\\1", plain)


def _fence(content: str, shortest: int) -> str:
    """A run of backticks longer than any inside `content`."""
    longest = max((len(run) for run in re.findall("`+", content)), default=0)
    return "`" * max(shortest, longest + 1)


def code(plain: str) -> str:
    """An inline code span around any text."""
    fence = _fence(plain, 1)
    pad = " " if plain.startswith("`") or plain.endswith("`") else ""
    return f"{fence}{pad}{plain}{pad}{fence}"


def block(plain: str) -> str:
    """A fenced code block around any text (multi-line tool output, error messages)."""
    fence = _fence(plain, 3)
    return f"{fence}text\n{plain.rstrip()}\n{fence}"
