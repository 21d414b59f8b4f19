"""Structured Field lists (RFC 9651), the subset the IETF `RateLimit` fields use.

A list of items, each a bare item (integer, decimal, string, token, byte sequence, boolean) with
parameters. Anything else, inner lists and dates included, makes the whole field malformed: per
RFC 9651 a field that fails to parse is ignored as a whole, never half-read.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

BareItem = int | float | str | bytes | bool

_NUMBER = re.compile(r"-?[0-9]{1,15}(\.[0-9]{1,3})?")
_TOKEN = re.compile(r"[A-Za-z*][!#$%&'*+\-.^_`|~0-9A-Za-z:/]*")
_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_BINARY = re.compile(r":([A-Za-z0-9+/=]*):")


@dataclass(frozen=True)
class Item:
    value: BareItem
    params: dict[str, BareItem]


class _Malformed(Exception):
    pass


def parse_list(field: str) -> list[Item] | None:
    """The items of a List field (several header lines already joined with ", "), or None."""
    parser = _Parser(field.strip(" "))
    try:
        return parser.list()
    except _Malformed:
        return None


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.at = 0

    def list(self) -> list[Item]:
        items: list[Item] = []
        while self.at < len(self.text):
            items.append(self.item())
            self.skip(" \t")
            if self.at == len(self.text):
                return items
            self.expect(",")
            self.skip(" \t")
            if self.at == len(self.text):
                raise _Malformed("trailing comma")
        return items

    def item(self) -> Item:
        value = self.bare_item()
        params: dict[str, BareItem] = {}
        while self.peek() == ";":
            self.at += 1
            self.skip(" ")
            key = self.match(_KEY)
            params[key] = True
            if self.peek() == "=":
                self.at += 1
                params[key] = self.bare_item()
        return Item(value, params)

    def bare_item(self) -> BareItem:
        char = self.peek()
        if char == '"':
            return self.string()
        if char == "?":
            flag = self.text[self.at + 1 : self.at + 2]
            if flag not in ("0", "1"):
                raise _Malformed("boolean")
            self.at += 2
            return flag == "1"
        if char == ":":
            encoded = _BINARY.match(self.text, self.at)
            if encoded is None:
                raise _Malformed("byte sequence")
            self.at = encoded.end()
            try:
                return base64.b64decode(encoded[1], validate=True)
            except binascii.Error as exc:
                raise _Malformed("byte sequence") from exc
        if char == "-" or char.isdigit():
            number = self.match(_NUMBER)
            return float(number) if "." in number else int(number)
        return self.match(_TOKEN)

    def string(self) -> str:
        self.at += 1
        chars: list[str] = []
        while self.at < len(self.text):
            char = self.text[self.at]
            self.at += 1
            if char == "\\":
                escaped = self.text[self.at : self.at + 1]
                if escaped not in ('"', "\\"):
                    raise _Malformed("escape")
                chars.append(escaped)
                self.at += 1
            elif char == '"':
                return "".join(chars)
            elif not " " <= char <= "~":
                raise _Malformed("string character")
            else:
                chars.append(char)
        raise _Malformed("unterminated string")

    def match(self, pattern: re.Pattern[str]) -> str:
        found = pattern.match(self.text, self.at)
        if found is None:
            raise _Malformed(pattern.pattern)
        self.at = found.end()
        return found[0]

    def peek(self) -> str:
        return self.text[self.at : self.at + 1]

    def skip(self, chars: str) -> None:
        while self.peek() and self.peek() in chars:
            self.at += 1

    def expect(self, char: str) -> None:
        if self.peek() != char:
            raise _Malformed(f"expected {char!r}")
        self.at += 1
