"""Keep credentials out of every string the storage layer produces.

fsspec keeps credentials in clear (``fs.storage_options``, ``fs.to_json()``) and its HTTP
filesystem echoes URLs, ``user:password@`` included, in its errors. Everything a user can see
(reprs, errors, logs, progress) is passed through :func:`scrub` with the provider's secrets.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterable, Mapping
from typing import Any

MASK = '***'
_URL_USERINFO = re.compile(r'(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<userinfo>[^/@\s]+)@')
# Key names whose values are secrets, in any configuration dict the SDK handles.
SECRET_KEYS = frozenset(
    {
        'secret_key',
        'secret',
        'password',
        'passphrase',
        'token',
        'session_token',
        'access_token',
        'credentials',
        'private_key',
        'headers',
        'authorization',
        'service_account_key',
    }
)


def secret_variants(values: Iterable[str | None]) -> list[str]:
    """Each secret plus the encodings it travels in (base64 in Basic auth, URL-quoted)."""
    from urllib.parse import quote

    found: set[str] = set()
    for value in values:
        if not value or len(value) < 3:
            continue
        found.add(value)
        found.add(quote(value, safe=''))
        found.add(base64.b64encode(value.encode()).decode())
    # Longest first so that a secret containing another is masked whole.
    return sorted(found, key=len, reverse=True)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL user-info and every known secret value replaced by ``***``."""
    text = _URL_USERINFO.sub(lambda m: f'{m["scheme"]}{MASK}@', text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, MASK)
    return text


def redact_config(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a (nested) configuration safe to show: secret values become ``***``."""
    shown: dict[str, Any] = {}
    for key, value in configuration.items():
        if str(key).lower() in SECRET_KEYS and value:
            shown[key] = MASK
        elif isinstance(value, Mapping):
            shown[key] = redact_config(value)
        elif isinstance(value, str):
            shown[key] = scrub(value)
        else:
            shown[key] = value
    return shown
