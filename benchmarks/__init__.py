"""Benchmarks of clerk-chat-client (issue 9: "the overrides cost nothing you can measure").

Not tests: they measure, they do not assert. `python -m benchmarks.run` (or `nox -s bench`)
compares `ClerkChatClient` with raw httpx2 (and raw httpx, the old stack) and the plain generated client against a local server,
times imports and the warm pipeline, and writes `benchmarks/results.json`.
"""
