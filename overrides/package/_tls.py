"""TLS settings in the form httpx2 takes without complaint: an `ssl.SSLContext`, or True/False.

httpx2 verifies against the operating system's trust store (truststore) and deprecates
`verify=<path>` and `cert=`, which 1.x users pass. The client keeps accepting both and builds the
context itself, so they keep working without a DeprecationWarning. `verify=True` is left to
httpx2, which honours `SSL_CERT_FILE` and `SSL_CERT_DIR` (unless `trust_env=False`).
"""

from __future__ import annotations

import os
import ssl
from typing import Any

import httpx2

Verify = str | bool | ssl.SSLContext


def ssl_setting(verify: Verify, cert: Any = None, trust_env: bool = True) -> ssl.SSLContext | bool:
    """What to pass as httpx2's `verify=`: `verify` itself when httpx2 takes it as it is."""
    if isinstance(verify, str):
        context = (
            ssl.create_default_context(capath=verify)
            if os.path.isdir(verify)
            else ssl.create_default_context(cafile=verify)
        )
    elif cert is None:
        return verify
    elif isinstance(verify, ssl.SSLContext):
        context = verify
    else:
        context = httpx2.create_ssl_context(verify=verify, trust_env=trust_env)
    if cert is not None:
        context.load_cert_chain(*((cert,) if isinstance(cert, str) else cert))
    return context
