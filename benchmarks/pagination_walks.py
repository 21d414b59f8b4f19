"""The walks of the pagination benchmark, in a child interpreter whose `clerk_chat_client` is a
generation with a paginated operation (benchmarks/pagination.py starts it, with that generation
first on PYTHONPATH): `python -m benchmarks.pagination_walks BASE_URL ROUNDS` prints, per case,
the wall and CPU seconds of each walk as JSON.

A walk reads every item of GET /public/contacts in pages of `LIMIT`:
- raw httpx2: a hand loop, JSON parsed by hand: each page's `data` dicts, then the next page
  until `links.next` is empty (the rule the client's walk ends on as well);
- `client.contacts.find_all(limit=LIMIT)`: the resource method's page, iterated: each item an
  attrs model checked against the spec, the next page fetched as the loop reaches it;
- the same two async: httpx2.AsyncClient, and `async for` over AsyncClerkChatClient's page.
Rounds run every case once in a rotating order, so machine noise hits them alike.
"""

from __future__ import annotations

import asyncio
import gc
import json
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx2

from .server import PAGINATED_ITEMS
from .synthetic_spec import LIST_PATH

LIMIT = 50
API_KEY = "bench-key-not-a-secret"
RAW = "raw httpx2, hand loop"
RESOURCE = "client.contacts.find_all (resource)"

Walk = Callable[[], int]  # returns how many items it saw
AsyncWalk = Callable[[], Awaitable[int]]


def _limits() -> httpx2.Limits:
    return httpx2.Limits(max_connections=10, max_keepalive_connections=10, keepalive_expiry=30.0)


def _another_page(body: Any) -> bool:
    return bool(body["data"]) and bool((body.get("links") or {}).get("next"))


def _contacts(client: Any) -> Any:
    """`client.contacts`: the tag of the synthetic list, on the generation this child imports (type
    checkers see the installed package, which has no such tag)."""
    return client.contacts


def _sync_cases(base_url: str) -> tuple[dict[str, Walk], Callable[[], None]]:
    from clerk_chat_client import ClerkChatClient

    raw = httpx2.Client(base_url=base_url, headers={"apiKey": API_KEY}, limits=_limits())
    client = ClerkChatClient(api_key=API_KEY, base_url=base_url, httpx_args={"limits": _limits()})
    contacts = _contacts(client)

    def raw_walk() -> int:
        seen, number, more = 0, 1, True
        while more:
            body = raw.get(LIST_PATH, params={"page": number, "limit": LIMIT}).json()
            more = _another_page(body)
            for _item in body["data"]:
                seen += 1
            number += 1
        return seen

    def resource_walk() -> int:
        seen = 0
        for _item in contacts.find_all(limit=LIMIT):
            seen += 1
        return seen

    def close() -> None:
        raw.close()
        client.close()

    return {RAW: raw_walk, RESOURCE: resource_walk}, close


def _async_cases(base_url: str) -> tuple[dict[str, AsyncWalk], Callable[[], Awaitable[None]]]:
    from clerk_chat_client import AsyncClerkChatClient

    raw = httpx2.AsyncClient(base_url=base_url, headers={"apiKey": API_KEY}, limits=_limits())
    client = AsyncClerkChatClient(api_key=API_KEY, base_url=base_url, httpx_args={"limits": _limits()})
    contacts = _contacts(client)

    async def raw_walk() -> int:
        seen, number, more = 0, 1, True
        while more:
            body = (await raw.get(LIST_PATH, params={"page": number, "limit": LIMIT})).json()
            more = _another_page(body)
            for _item in body["data"]:
                seen += 1
            number += 1
        return seen

    async def resource_walk() -> int:
        seen = 0
        async for _item in await contacts.find_all(limit=LIMIT):
            seen += 1
        return seen

    async def close() -> None:
        await raw.aclose()
        await client.aclose()

    return {RAW: raw_walk, RESOURCE: resource_walk}, close


def _check(name: str, seen: int) -> None:
    if seen != PAGINATED_ITEMS:
        raise RuntimeError(f"{name} saw {seen} items, not {PAGINATED_ITEMS}: the benchmark would time a failure")


def _rotated(names: list[str], round_number: int) -> list[str]:
    shift = round_number % len(names)
    return names[shift:] + names[:shift]


Timed = dict[str, dict[str, list[float]]]  # case -> {"seconds": [...], "cpu": [...]}


def sync_walks(base_url: str, rounds: int) -> Timed:
    cases, close = _sync_cases(base_url)
    timed: Timed = {name: {"seconds": [], "cpu": []} for name in cases}
    try:
        for name, walk in cases.items():
            _check(name, walk())  # warm-up: connections, imports, caches
        for round_number in range(rounds):
            for name in _rotated(list(cases), round_number):
                gc.collect()
                start, cpu = time.perf_counter(), time.process_time()
                seen = cases[name]()
                timed[name]["seconds"].append(time.perf_counter() - start)
                timed[name]["cpu"].append(time.process_time() - cpu)
                _check(name, seen)
    finally:
        close()
    return timed


async def async_walks(base_url: str, rounds: int) -> Timed:
    cases, close = _async_cases(base_url)
    timed: Timed = {name: {"seconds": [], "cpu": []} for name in cases}
    try:
        for name, walk in cases.items():
            _check(name, await walk())
        for round_number in range(rounds):
            for name in _rotated(list(cases), round_number):
                gc.collect()
                start, cpu = time.perf_counter(), time.process_time()
                seen = await cases[name]()
                timed[name]["seconds"].append(time.perf_counter() - start)
                timed[name]["cpu"].append(time.process_time() - cpu)
                _check(name, seen)
    finally:
        await close()
    return timed


def main(argv: list[str]) -> None:
    base_url, rounds = argv[0], int(argv[1])
    print(json.dumps({"sync": sync_walks(base_url, rounds), "async": asyncio.run(async_walks(base_url, rounds))}))


if __name__ == "__main__":
    main(sys.argv[1:])
