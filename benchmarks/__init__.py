"""Benchmarks of clerk-chat-client (issue 9, then issue 17: "ahead of every peer, flat as the spec grows").

Not tests: they measure, they do not assert. `python -m benchmarks.run` (or `nox -s bench`)
compares `ClerkChatClient`, through its resources (`client.twilio.connect`) and through the
generated functions, with raw httpx2 (the floor), raw httpx (the old stack), the plain generated
client and the Stainless-made anthropic SDK's generic call against a local server; measures what
rate-limit headers cost a call and a paginated walk against a hand loop; times imports and the
warm pipeline, grows synthetic specs to 800 operations to see how generation, import and a first
call scale, and writes `benchmarks/results.json`.
"""
