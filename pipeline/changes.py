"""What a regeneration changed for users of the package, and the version bump that follows.

`nox -s generate` calls `report_and_bump` once the staged project differs from `generated/`. It
compares the public Python API of the two generations (`api_surface` reads them), decides a
verdict — breaking, additive or none — and bumps the one version there is (the
`package_version_override` line of `generator_config.yaml`) by semver: breaking -> major,
additive -> minor, anything else that changed the output -> patch. The staged `pyproject.toml`
gets the same version and `CHANGELOG.md` an entry. Nothing here depends on time or hash order,
so a regeneration from the same inputs writes the same bytes.

Rules (README, "When the spec changes"):
- operations: added -> additive; removed, moved to another module, a parameter removed or newly
  required, a parameter's type or default changed, the return type changed -> breaking; a new
  optional parameter, or one that became optional -> additive; the same module now sending
  another method or path, with an unchanged signature -> neither (patch).
- models: added -> additive; removed or moved -> breaking; a field added optional -> additive,
  added required, removed, retyped, newly required or with a new default -> breaking; a field
  that became optional -> additive, except in a model reachable from a response (readers now
  may get `UNSET`) -> breaking. Enums: a value added -> additive, removed -> breaking.
- `_settings.py` constants (read generically): anything about the API key (names with KEY,
  SECUR, AUTH, TOKEN, SCHEME) changed, added or removed -> breaking, since the key would be sent
  differently. Servers: a URL added to a server list -> additive, removed -> breaking; a changed
  single URL such as `DEFAULT_BASE_URL` -> breaking (every caller relying on the default now
  talks to another host without having changed a line); a reordered list with the same default
  -> neither. Any other constant: added -> additive, changed or removed -> breaking.
- public functions and methods outside the operation modules (the client classes, the resource
  methods `client.<tag>.<operation>`, exceptions, helpers; a method inherited from a private class
  counts for each public class that inherits it): compared parameter by parameter like operations
  (removed, newly required or retyped -> breaking; a new optional one -> additive), and a changed
  return type -> breaking. So an
  httpx type becoming an httpx2 type in `get_httpx_client()` or `with_timeout()` is breaking.
- runtime dependencies (`[project].dependencies`): one removed -> breaking (objects of it that
  users handed to the client, such as transports or timeouts, no longer fit); one added, or a
  version range changed -> neither.
- anything else griffe reports as breaking in the public API -> breaking; any other new public
  object -> additive.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, NamedTuple

import griffe

from . import api_surface
from . import markdown as md
from .api_surface import Model, Operation, Slot, Surface
from .errors import PipelineError
from .paths import PACKAGE_NAME

Verdict = Literal["breaking", "additive", "none"]
SECTIONS = ("Operations", "Models", "Security & servers", "Python API")
_SECTION_OF_KIND = {
    "operation": "Operations",
    "model": "Models",
    "enum": "Models",
    "field": "Models",
    "security": "Security & servers",
    "server": "Security & servers",
    "setting": "Security & servers",
    "python": "Python API",
    "dependency": "Python API",
}
_SECURITY_NAME = re.compile(r"KEY|SECUR|AUTH|TOKEN|SCHEME|CREDENTIAL", re.IGNORECASE)
_SERVER_NAME = re.compile(r"SERVER|URL|HOST", re.IGNORECASE)
_CONFIG_VERSION = re.compile(
    r"^(?P<head>package_version_override:[ \t]*)(?P<quote>[\"']?)(?P<version>[^\s\"'#]*)(?P=quote)"
    r"[ \t]*(#[^\r\n]*)?\r?$",  # a trailing comment and a CRLF line end are kept
    re.MULTILINE,
)
_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_TABLE = re.compile(r"^\s*\[+\s*([^\]]+?)\s*\]+\s*(#.*)?$")
_PYPROJECT_VERSION = re.compile(r"^(?P<head>version\s*=\s*\")(?P<version>[^\"]*)(?P<tail>\"\s*(#.*)?)$")


@dataclass(frozen=True)
class Change:
    """One difference a user of the package could notice."""

    kind: str  # e.g. "operation added", "field changed", "security changed"
    subject: str  # what changed: "POST /public/x", "Model.field", "API_KEY_NAME"
    detail: str
    breaking: bool = False
    additive: bool = False
    # dotted Python paths this change accounts for, so griffe's findings about them are not repeated
    objects: tuple[str, ...] = field(default=(), compare=False, repr=False)

    @property
    def section(self) -> str:
        return _SECTION_OF_KIND.get(self.kind.split()[0], "Python API")

    @property
    def impact(self) -> str:
        return "breaking" if self.breaking else "additive" if self.additive else "other"

    @property
    def mark(self) -> str:
        return "!" if self.breaking else "+" if self.additive else "~"

    def summary(self) -> str:
        note = " (breaking)" if self.breaking else ""
        return f"{self.kind}: {self.subject} — {self.detail}{note}"

    def markdown(self) -> str:
        """What `summary()` says, as a Markdown list item led by its impact (the subject as code)."""
        label = f"**{self.impact}**" if self.breaking else self.impact
        return f"- {label} {self.kind}: {md.code(self.subject)} — {md.text(self.detail)}"


@dataclass(frozen=True)
class ChangeReport:
    verdict: Verdict
    changes: tuple[Change, ...]
    old_version: str | None  # None: first generation, nothing to compare with
    new_version: str

    def render(self) -> str:
        """The report printed at the end of `nox -s generate`."""
        if self.old_version is None:
            return (
                "API change report: first generation (no previous generated/ to compare with)\n"
                f"  version {self.new_version}: no bump, no changelog entry"
            )
        lines = ["API change report (previous generated/ -> this generation; ! breaking, + additive, ~ neither)"]
        for section in SECTIONS:
            listed = [change for change in self.changes if change.section == section]
            if not listed and section == "Python API":
                continue
            lines.append(section)
            lines += [f"  {change.mark} {change.summary()}" for change in listed] or ["  no change"]
        lines.append("Verdict & version")
        lines.append(f"  {self.verdict}: {self.old_version} -> {self.new_version} ({_BUMP_NAME[self.verdict]} bump)")
        return "\n".join(lines)

    def markdown(self) -> str:
        """The report as a pull request's body: a summary line with the verdict and the version
        move, then every change by section, the breaking ones first and marked."""
        if self.old_version is None:
            return f"**First generation**: nothing to compare with; version {self.new_version}, no bump.\n"
        impacts = [change.impact for change in self.changes]
        counted = ", ".join(f"{impacts.count(label)} {label}" for label in _MARKDOWN_IMPACTS if label in impacts)
        plural = "" if len(self.changes) == 1 else "s"
        counts = f"{len(self.changes)} change{plural} ({counted})" if self.changes else "no change to the public API"
        lines = [
            f"**{_MARKDOWN_VERDICT[self.verdict]}**: version {self.old_version} → {self.new_version} "
            f"({_BUMP_NAME[self.verdict]} bump), {counts}. {_MARKDOWN_ADVICE[self.verdict]}",
        ]
        for section in SECTIONS:
            listed = sorted((change for change in self.changes if change.section == section), key=_not_breaking)
            lines += ["", f"### {section}", ""]
            lines += [change.markdown() for change in listed] or ["- no change"]
        return "\n".join(lines) + "\n"


_BUMP_NAME: dict[Verdict, str] = {"breaking": "major", "additive": "minor", "none": "patch"}
_MARKDOWN_VERDICT: dict[Verdict, str] = {"breaking": "Breaking", "additive": "Additive", "none": "No API change"}
_MARKDOWN_ADVICE: dict[Verdict, str] = {
    "breaking": "Code using what is marked **breaking** may stop working: review those changes before merging.",
    "additive": "Existing code keeps working.",
    "none": "The public Python API is the same; only the generated code differs.",
}
_MARKDOWN_IMPACTS = ("breaking", "additive", "other")


def _not_breaking(change: Change) -> bool:
    return not change.breaking


def compare(old_package_dir: Path, new_package_dir: Path) -> tuple[Change, ...]:
    """Every user-visible difference between two generations of the import package."""
    old, new = api_surface.read(old_package_dir), api_surface.read(new_package_dir)
    found = [*_operation_changes(old, new), *_model_changes(old, new), *_settings_changes(old, new)]
    found += _signature_changes(old, new, _Covered(path for change in found for path in change.objects))
    found += _dependency_changes(old, new)
    found += _python_api_changes(old, new, _Covered(path for change in found for path in change.objects))
    return tuple(sorted(found, key=lambda change: SECTIONS.index(change.section)))  # stable: keeps the order within


def configured_version(config_path: Path) -> str:
    """The version generator_config.yaml holds (its `package_version_override` line)."""
    return _config_version(config_path.read_bytes().decode("utf-8"), config_path).group("version")


def verdict_of(changes: Iterable[Change]) -> Verdict:
    listed = list(changes)
    if any(change.breaking for change in listed):
        return "breaking"
    return "additive" if any(change.additive for change in listed) else "none"


def bump(version: str, verdict: Verdict) -> str:
    major, minor, patch = _semver(version)
    if verdict == "breaking":
        return f"{major + 1}.0.0"
    if verdict == "additive":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def report_and_bump(
    old_project: Path | None, new_project: Path, config_path: Path, changelog_path: Path
) -> ChangeReport:
    """Compare, bump the version in config and staged pyproject.toml, add the changelog entry.

    The bump starts from the version of the previous generation; a version already raised by
    hand in the config further than the change requires is kept.
    """
    config_text = config_path.read_bytes().decode("utf-8")
    configured = _config_version(config_text, config_path).group("version")
    _semver(configured, where=config_path)
    pyproject = new_project / "pyproject.toml"
    pyproject_text = pyproject.read_bytes().decode("utf-8")
    _pyproject_version_line(pyproject_text, pyproject)  # fail before writing anything
    if old_project is None:
        return ChangeReport("none", (), None, configured)

    changes = compare(old_project / PACKAGE_NAME, new_project / PACKAGE_NAME)
    verdict = verdict_of(changes)
    old_version = _previous_version(old_project) or configured
    new_version = max(bump(old_version, verdict), configured, key=_semver)
    report = ChangeReport(verdict, changes, old_version, new_version)

    pyproject.write_bytes(_set_pyproject_version(pyproject_text, pyproject, new_version).encode("utf-8"))
    _write_changelog(changelog_path, report)
    match = _config_version(config_text, config_path)
    new_config = config_text[: match.start("version")] + new_version + config_text[match.end("version") :]
    config_path.write_bytes(new_config.encode("utf-8"))
    return report


# --- operations -------------------------------------------------------------------------------


def _operation_changes(old: Surface, new: Surface) -> Iterator[Change]:
    before, after = dict(old.operations), dict(new.operations)
    pairs = [(before.pop(key), after.pop(key)) for key in sorted(before.keys() & after.keys())]
    # The same module now sending another method or path: one operation changed, not two.
    by_module = {op.module: key for key, op in after.items()}
    for key in sorted(before):
        if before[key].module in by_module:
            moved = after.pop(by_module[before[key].module])
            pairs.append((before.pop(key), moved))
    for key in sorted(before):
        op = before[key]
        yield Change("operation removed", key, op.module, breaking=True, objects=(op.module,))
    for key in sorted(after):
        op = after[key]
        signature = ", ".join(_slot_text(slot) for slot in op.parameters)
        detail = f"{op.module}({signature}) -> {op.returns}"
        yield Change("operation added", key, detail, additive=True, objects=(op.module,))
    for a, b in pairs:
        yield from _operation_diff(a, b)


def _operation_diff(a: Operation, b: Operation) -> Iterator[Change]:
    objects = (a.module, b.module)
    if a.key != b.key:
        yield Change("operation changed", b.key, f"{b.module} now sends {b.key} (was {a.key})", objects=objects)
    if a.module != b.module:
        yield Change("operation moved", b.key, f"{a.module} -> {b.module}", breaking=True, objects=objects)
    for diff in _slot_changes(a.parameters, b.parameters, loosening_breaks=False):
        detail = f"{b.module}: parameter {diff.name} {diff.verb} ({diff.text})"
        yield Change(
            "operation changed", b.key, detail, breaking=diff.breaking, additive=diff.additive, objects=objects
        )
    if a.returns != b.returns:
        detail = f"{b.module}: returns {b.returns} (was {a.returns})"
        yield Change("operation changed", b.key, detail, breaking=True, objects=objects)


# --- models and enums -------------------------------------------------------------------------


def _model_objects(model: Model) -> tuple[str, ...]:
    exported = f"{model.module.rpartition('.')[0]}.{model.name}"  # re-exported by models/__init__.py
    return (model.path, model.module, exported)


def _model_changes(old: Surface, new: Surface) -> Iterator[Change]:
    read_by_callers = _response_models(old) | _response_models(new)
    for name in sorted(old.models.keys() - new.models.keys()):
        model = old.models[name]
        kind = "enum removed" if model.is_enum else "model removed"
        yield Change(kind, name, model.path, breaking=True, objects=_model_objects(model))
    for name in sorted(new.models.keys() - old.models.keys()):
        model = new.models[name]
        if model.is_enum:
            yield Change(
                "enum added", name, f"values {', '.join(model.values)}", additive=True, objects=_model_objects(model)
            )
        else:
            fields = ", ".join(_slot_text(slot) for slot in model.fields) or "no fields"
            yield Change("model added", name, fields, additive=True, objects=_model_objects(model))
    for name in sorted(old.models.keys() & new.models.keys()):
        yield from _model_diff(old.models[name], new.models[name], loosening_breaks=name in read_by_callers)


def _model_diff(a: Model, b: Model, *, loosening_breaks: bool) -> Iterator[Change]:
    objects = (a.path, b.path)
    if a.is_enum != b.is_enum:
        kinds = ("model", "enum") if b.is_enum else ("enum", "model")
        yield Change("model changed", b.name, "was an {}, now an {}".format(*kinds), breaking=True, objects=objects)
        return
    if a.module != b.module:
        yield Change("model moved", b.name, f"{a.path} -> {b.path}", breaking=True, objects=_model_objects(a))
    if b.is_enum:
        for value in a.values:
            if value not in b.values:
                yield Change("enum value removed", b.name, value, breaking=True, objects=objects)
        for value in b.values:
            if value not in a.values:
                yield Change("enum value added", b.name, value, additive=True, objects=objects)
        return
    for diff in _slot_changes(a.fields, b.fields, loosening_breaks=loosening_breaks):
        subject = f"{b.name}.{diff.name}"
        yield Change(
            f"field {diff.verb}", subject, diff.text, breaking=diff.breaking, additive=diff.additive, objects=objects
        )


def _response_models(surface: Surface) -> set[str]:
    """Models a caller reads: those an operation returns, and what their fields hold, transitively."""
    pending = sorted(name for op in surface.operations.values() for name in api_surface.names_in(op.returns))
    seen: set[str] = set()
    while pending:
        name = pending.pop()
        if name in seen or name not in surface.models:
            continue
        seen.add(name)
        for slot in surface.models[name].fields:
            pending.extend(sorted(api_surface.names_in(slot.annotation)))
    return seen


# --- parameters and fields --------------------------------------------------------------------


def _slot_text(slot: Slot) -> str:
    return f"{slot.name}: {slot.annotation}" + ("" if slot.required else f" = {slot.default}")


class _SlotDiff(NamedTuple):
    name: str
    verb: Literal["added", "removed", "changed"]
    text: str
    breaking: bool
    additive: bool


def _slot_changes(old: tuple[Slot, ...], new: tuple[Slot, ...], *, loosening_breaks: bool) -> Iterator[_SlotDiff]:
    """What happened to each parameter or field that differs, in a stable order."""
    before, after = {slot.name: slot for slot in old}, {slot.name: slot for slot in new}
    for slot in old:
        if slot.name not in after:
            yield _SlotDiff(slot.name, "removed", f"was {slot.annotation}", True, False)
    for slot in new:
        if slot.name not in before:
            if slot.required:
                yield _SlotDiff(slot.name, "added", f"required, {slot.annotation}", True, False)
            else:
                yield _SlotDiff(slot.name, "added", f"optional, {slot.annotation} = {slot.default}", False, True)
    for a in old:
        b = after.get(a.name)
        diff = None if b is None else _slot_diff(a, b, loosening_breaks=loosening_breaks)
        if diff is not None:
            yield diff


def _slot_diff(a: Slot, b: Slot, *, loosening_breaks: bool) -> _SlotDiff | None:
    """A parameter or field kept its name; did its type, optionality or default change?

    The generator spells "optional in the spec" as `X | Unset` (usually `= UNSET`), and a
    required property may keep its spec default, so both the annotation and the default count.
    """
    notes, breaking, additive = [], False, False
    if a.base_type != b.base_type:
        notes.append(f"type {a.base_type} -> {b.base_type}")
        breaking = True
    if a.accepts_unset and not b.accepts_unset:
        notes.append("now required" + ("" if b.required else f" (keeps default {b.default}; UNSET no longer accepted)"))
        breaking = True
    elif b.accepts_unset and not a.accepts_unset:
        notes.append("now optional (may be UNSET)")
        breaking, additive = breaking or loosening_breaks, not loosening_breaks
    unset_default_explained = a.accepts_unset != b.accepts_unset and "UNSET" in (a.default, b.default)
    if a.default != b.default and not unset_default_explained:
        if b.required:
            notes.append(f"no default any more (was {a.default}): callers must pass it")
            breaking = True
        elif a.required:
            notes.append(f"now defaults to {b.default}")
            additive = True
        else:
            notes.append(f"default {a.default} -> {b.default}")
            breaking = True
    if not notes:
        return None
    return _SlotDiff(a.name, "changed", "; ".join(notes), breaking, additive and not breaking)


# --- _settings.py: security and servers -------------------------------------------------------


def _settings_changes(old: Surface, new: Surface) -> Iterator[Change]:
    before, after = old.settings or {}, new.settings or {}
    module = f"{new.package}.{api_surface.SETTINGS_MODULE}"
    for name in sorted(before.keys() | after.keys()):
        a, b = before.get(name), after.get(name)
        if a == b:
            continue
        transition = f"{a or '(none)'} -> {b or '(removed)'}"
        if _SECURITY_NAME.search(name):
            yield Change("security changed", name, transition, breaking=True, objects=(module,))
        elif _SERVER_NAME.search(name):
            yield from _server_changes(name, a, b, module)
        else:
            yield Change(
                "setting changed", name, transition, breaking=a is not None, additive=a is None, objects=(module,)
            )


def _server_changes(name: str, a: str | None, b: str | None, module: str) -> Iterator[Change]:
    listed_a, listed_b = _items(a), _items(b)
    if listed_a is None or listed_b is None:  # a single URL, such as DEFAULT_BASE_URL
        transition = f"{a or '(none)'} -> {b or '(removed)'}"
        yield Change("server changed", name, transition, breaking=a is not None, additive=a is None, objects=(module,))
        return
    for url in listed_a:
        if url not in listed_b:
            yield Change("server removed", _shown(url), f"from {name}", breaking=True, objects=(module,))
    for url in listed_b:
        if url not in listed_a:
            yield Change("server added", _shown(url), f"to {name}", additive=True, objects=(module,))
    if sorted(listed_a) == sorted(listed_b):
        yield Change("server order changed", name, f"{a} -> {b}", objects=(module,))


def _shown(source: str) -> str:
    """A string literal as its text (a URL reads better unquoted); anything else as source."""
    try:
        value = ast.literal_eval(source)
    except (ValueError, SyntaxError):
        return source
    return value if isinstance(value, str) else source


def _items(source: str | None) -> list[str] | None:
    """The elements of a tuple or list literal, as source; None for anything else (or nothing)."""
    if source is None:
        return []
    node = ast.parse(source, mode="eval").body
    if not isinstance(node, ast.Tuple | ast.List):
        return None
    return [ast.unparse(element) for element in node.elts]


# --- public functions and methods, dependencies -----------------------------------------------


class _Covered:
    """Dotted paths already accounted for by a change: a path is covered when it is one of them, lies
    inside one (`a.b.c` under `a.b`) or contains one (`a` above `a.b`). Set lookups along the path's
    dotted prefixes, so a spec with thousands of changes is not compared pair by pair."""

    def __init__(self, paths: Iterable[str]) -> None:
        self._paths = set(paths)
        self._containers = {prefix for path in self._paths for prefix in _dotted_prefixes(path)}

    def __contains__(self, path: str) -> bool:
        return path in self._paths or path in self._containers or any(p in self._paths for p in _dotted_prefixes(path))


def _dotted_prefixes(path: str) -> Iterator[str]:
    """`a.b.c` -> `a`, `a.b` (the proper prefixes that end at a dot)."""
    for index, character in enumerate(path):
        if character == ".":
            yield path[:index]


def _signature_changes(old: Surface, new: Surface, covered: _Covered) -> list[Change]:
    found: list[Change] = []
    for path in sorted(old.signatures.keys() & new.signatures.keys()):
        a, b = old.signatures[path], new.signatures[path]
        if a == b or path in covered:
            continue
        objects = (path, a.defined_at, b.defined_at)  # griffe reports it where it is written: not twice
        for diff in _slot_changes(a.parameters, b.parameters, loosening_breaks=False):
            detail = f"parameter {diff.name} {diff.verb} ({diff.text})"
            found.append(
                Change(
                    "python API changed", path, detail, breaking=diff.breaking, additive=diff.additive, objects=objects
                )
            )
        if a.returns != b.returns:
            detail = f"returns {b.returns} (was {a.returns})"
            found.append(Change("python API changed", path, detail, breaking=True, objects=objects))
    return found


def _dependency_changes(old: Surface, new: Surface) -> Iterator[Change]:
    before, after = old.dependencies, new.dependencies
    for name in sorted(before.keys() - after.keys()):
        detail = "no longer installed with the package; objects of it passed to the client no longer fit"
        yield Change("dependency removed", name, detail, breaking=True)
    for name in sorted(after.keys() - before.keys()):
        yield Change("dependency added", name, after[name] or "any version")
    for name in sorted(before.keys() & after.keys()):
        if before[name] != after[name]:
            yield Change(
                "dependency changed", name, f"{before[name] or 'any version'} -> {after[name] or 'any version'}"
            )


# --- whatever else griffe sees ----------------------------------------------------------------


def _python_api_changes(old: Surface, new: Surface, covered: _Covered) -> list[Change]:
    found: list[Change] = []
    for breakage in griffe.find_breaking_changes(old.module, new.module):
        path = breakage.obj.path
        if path not in covered:
            found.append(Change("python API broken", path, _explain(breakage), breaking=True, objects=(path,)))
    found.sort(key=lambda change: (change.subject, change.detail))  # griffe walks files in directory order
    added = new.public - old.public
    for path in sorted(added):
        if path not in covered and path.rpartition(".")[0] not in added:
            found.append(Change("python API added", path, "new public object", additive=True, objects=(path,)))
    return found


def _explain(breakage: griffe.Breakage) -> str:
    text = breakage.kind.value
    parameter = next((v for v in (breakage.new_value, breakage.old_value) if isinstance(v, griffe.Parameter)), None)
    if parameter is not None:
        text += f": {parameter.name}"
    return text + (f" ({breakage.details})" if breakage.details else "")


# --- versions and files -----------------------------------------------------------------------


def _semver(version: str, where: Path | None = None) -> tuple[int, int, int]:
    match = _SEMVER.match(version)
    if match is None:
        raise PipelineError(f"{where or 'version'}: {version!r} is not a MAJOR.MINOR.PATCH version")
    return int(match[1]), int(match[2]), int(match[3])


def _config_version(text: str, path: Path) -> re.Match[str]:
    matches = list(_CONFIG_VERSION.finditer(text))
    if len(matches) != 1:
        raise PipelineError(
            f"{path}: expected exactly one `package_version_override: X.Y.Z` line, found {len(matches)}"
        )
    return matches[0]


def _pyproject_version_line(text: str, path: Path) -> tuple[int, re.Match[str]]:
    """The index and match of the one `version = "..."` line of the [project] table."""
    table, found = None, []
    lines = text.splitlines(keepends=True)
    for index, line in enumerate(lines):
        header = _TABLE.match(line)
        if header:
            table = header[1]
            continue
        match = _PYPROJECT_VERSION.match(line.rstrip("\r\n"))
        if table == "project" and match:
            found.append((index, match))
    if len(found) != 1:
        raise PipelineError(f'{path}: expected exactly one `version = "..."` line under [project], found {len(found)}')
    return found[0]


def _previous_version(project: Path) -> str | None:
    pyproject = project / "pyproject.toml"
    if not pyproject.is_file():
        return None
    try:
        _index, match = _pyproject_version_line(pyproject.read_text(encoding="utf-8"), pyproject)
    except PipelineError:
        return None
    version = match["version"]
    return version if _SEMVER.match(version) else None


def _set_pyproject_version(text: str, path: Path, version: str) -> str:
    index, match = _pyproject_version_line(text, path)
    lines = text.splitlines(keepends=True)
    line = lines[index]
    ending = line[len(line.rstrip("\r\n")) :]
    lines[index] = f"{match['head']}{version}{match['tail']}{ending}"
    return "".join(lines)


def changelog_entry(report: ChangeReport) -> str:
    lines = [f"## {report.new_version} — {report.verdict}", ""]
    lines += [f"- {change.summary()}" for change in report.changes]
    if not report.changes:
        lines.append("- no change to the public Python API (the generated code differs)")
    return "\n".join(lines) + "\n"


def _write_changelog(path: Path, report: ChangeReport) -> None:
    """Newest entry first under the header; an entry for the same version is replaced."""
    text = path.read_bytes().decode("utf-8") if path.exists() else ""
    first = re.search(r"^## ", text, re.MULTILINE)
    preamble = text[: first.start()] if first else text
    entries = re.split(r"(?m)^(?=## )", text[first.start() :]) if first else []
    kept = [entry for entry in entries if entry and not entry.startswith(f"## {report.new_version} ")]
    blocks = [preamble.strip("\n") or "# Changelog", changelog_entry(report), *kept]
    path.write_bytes(("\n\n".join(block.strip("\n") for block in blocks) + "\n").encode("utf-8"))
