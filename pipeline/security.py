"""Which operations get the API key, and where it goes: decided once, at generation time.

The client holds one key and can put it where an `apiKey` scheme says (header, query parameter
or cookie) or in `Authorization` as an http `bearer` token. An operation's effective security is
its own `security`, else the document's; each requirement in that list is an alternative, and
an empty one means the operation may be called without credentials.

- An operation with no requirement, or only the empty one, is public: the key is not sent.
- Otherwise the key is sent when one alternative is a single supported scheme; alternatives the
  client cannot satisfy (oauth2, http basic, two schemes at once) are passed over. An operation
  with no alternative the client can satisfy fails generation, unless it may also be called
  without credentials.
- The placement (where and with which prefix) is the one most secured operations accept (ties:
  the scheme defined first). An operation that accepts only other placements fails generation,
  since the key would go where that operation does not look for it.
- Prefix: `Bearer ` for http bearer; for an apiKey scheme, the scheme's `x-prefix` extension
  (as GitBook reads it) followed by a space, e.g. `x-prefix: ApiKey` sends `ApiKey <key>`.

Schemes defined but used by no operation change nothing. Every problem is listed at once.
"""

from __future__ import annotations

import copy
from collections import Counter
from dataclasses import dataclass
from typing import Any

from .source_map import Pointer
from .spec import Operation, Problem, Spec, operation_objects

SUPPORTED = "apiKey in header, query or cookie, and http bearer"


@dataclass(frozen=True, order=True)
class KeyPlacement:
    location: str  # "header" | "query" | "cookie"
    name: str
    prefix: str  # put before the key, e.g. "Bearer "


@dataclass(frozen=True)
class Decision:
    """Where the key goes (None: no operation takes it) and which operations get it."""

    placement: KeyPlacement | None
    sends_key: dict[tuple[str, str], str | None]  # (path, method) -> the scheme it is sent by, or None

    def apply(self, document: dict[str, Any]) -> dict[str, Any]:
        """A copy whose every operation states its security as decided: one scheme, or none.

        The generator reads only an operation's own `security` (not the document's), so after
        this `requires_security` in its templates means exactly "the client sends the key".
        """
        staged = copy.deepcopy(document)
        for path, method, operation in operation_objects(staged):
            scheme = self.sends_key[(path, method)]
            operation["security"] = [{scheme: []}] if scheme is not None else []
        return staged


def placement_of(scheme: Any) -> KeyPlacement | None:
    """Where a security scheme puts the key, or None if the client cannot honour it."""
    if not isinstance(scheme, dict):
        return None
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie") and isinstance(scheme.get("name"), str):
        extension = scheme.get("x-prefix")
        prefix = f"{extension.strip()} " if isinstance(extension, str) and extension.strip() else ""
        return KeyPlacement(location=scheme["in"], name=scheme["name"], prefix=prefix)
    if kind == "http" and str(scheme.get("scheme", "")).lower() == "bearer":
        return KeyPlacement(location="header", name="Authorization", prefix="Bearer ")
    return None


def _describe(name: str, scheme: Any) -> str:
    if not isinstance(scheme, dict):
        return name
    detail = scheme.get("in") or scheme.get("scheme") or ""
    return f"{name} ({scheme.get('type')}{' ' + detail if detail else ''})"


@dataclass(frozen=True)
class _Offer:
    """What one operation accepts."""

    op: Operation
    pointer: Pointer  # where its effective security is written
    alternatives: tuple[dict[str, Any], ...]
    placements: dict[KeyPlacement, str]  # supported alternatives: placement -> scheme name

    @property
    def public(self) -> bool:
        return not self.alternatives or any(not alternative for alternative in self.alternatives)


def _offers(spec: Spec, schemes: dict[str, Any]) -> list[_Offer]:
    default = spec.document.get("security")
    offers = []
    for op, (_path, _method, operation) in zip(spec.operations(), operation_objects(spec.document), strict=True):
        own = "security" in operation
        requirements = operation["security"] if own else default
        alternatives = tuple(
            req for req in (requirements if isinstance(requirements, list) else []) if isinstance(req, dict)
        )
        placements: dict[KeyPlacement, str] = {}
        for alternative in alternatives:
            if len(alternative) == 1:
                (name,) = alternative
                placement = placement_of(schemes.get(name))
                if placement is not None:
                    placements.setdefault(placement, name)
        pointer = (*op.pointer, "security") if own else ("security",)
        offers.append(_Offer(op, pointer, alternatives, placements))
    return offers


def decide(spec: Spec) -> Decision:
    """Raise PipelineError listing every operation the client cannot authenticate."""
    components = spec.document.get("components")
    schemes: dict[str, Any] = (components.get("securitySchemes") if isinstance(components, dict) else None) or {}
    offers = _offers(spec, schemes)
    chosen = _most_accepted(offers, list(schemes))
    problems = [
        _unsatisfiable(offer, chosen, schemes)
        for offer in offers
        if not offer.public and (chosen is None or chosen not in offer.placements)
    ]
    if problems:
        raise spec.error(problems, what="security problem")
    sends = {(o.op.path, o.op.method): o.placements.get(chosen) if chosen else None for o in offers}
    return Decision(placement=chosen, sends_key=sends)


def _most_accepted(offers: list[_Offer], defined: list[str]) -> KeyPlacement | None:
    """The placement most operations accept; ties go to the scheme defined first."""
    counts = Counter(placement for offer in offers for placement in offer.placements)
    rank: dict[KeyPlacement, int] = {}
    for offer in offers:
        for placement, name in offer.placements.items():
            index = defined.index(name) if name in defined else len(defined)
            rank[placement] = min(rank.get(placement, index), index)
    return min(counts, key=lambda p: (-counts[p], rank[p], p), default=None)


def _unsatisfiable(offer: _Offer, chosen: KeyPlacement | None, schemes: dict[str, Any]) -> Problem:
    label = offer.op.label()
    if offer.placements and chosen is not None:
        mine = " or ".join(_describe(name, schemes.get(name)) for name in offer.placements.values())
        return Problem(
            offer.pointer,
            f"{label} accepts only {mine}, but the client sends its one key as {chosen.prefix}<key> in "
            f"{chosen.location} {chosen.name!r}, where most secured operations want it",
        )
    listed = " or ".join(" + ".join(_describe(name, schemes.get(name)) for name in alt) for alt in offer.alternatives)
    return Problem(
        offer.pointer, f"{label} accepts only {listed}, none of which the client can send; supported: {SUPPORTED}"
    )
