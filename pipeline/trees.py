"""Compare two folders file by file: what a regeneration added, removed or modified."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class TreeDiff:
    added: tuple[str, ...]
    removed: tuple[str, ...]
    modified: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.modified)

    def lines(self) -> list[str]:
        return (
            [f"  added     {name}" for name in self.added]
            + [f"  removed   {name}" for name in self.removed]
            + [f"  modified  {name}" for name in self.modified]
        )


def _files(root: Path) -> dict[str, Path]:
    if not root.is_dir():
        return {}
    return {
        path.relative_to(root).as_posix(): path
        for path in root.rglob("*")
        if path.is_file() and "__pycache__" not in path.relative_to(root).parts  # an editable install's bytecode
    }


def compare(old: Path, new: Path) -> TreeDiff:
    before, after = _files(old), _files(new)
    return TreeDiff(
        added=tuple(sorted(after.keys() - before.keys())),
        removed=tuple(sorted(before.keys() - after.keys())),
        modified=tuple(
            sorted(
                name for name in before.keys() & after.keys() if before[name].read_bytes() != after[name].read_bytes()
            )
        ),
    )
