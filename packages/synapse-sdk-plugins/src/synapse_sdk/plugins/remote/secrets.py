"""Which environment values are secret, and keeping them out of what Ray, a server or a log shows.

A value is secret when it is wrapped in :class:`Secret` (or pydantic's ``SecretStr``), or when its
name says so (``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*_KEY``, ``*CREDENTIAL*``...). Secret
values never go into a runtime_env, an entrypoint or job metadata: they travel in the side
channel with the params, and :func:`redact_values` masks them in any text that leaves a process.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_SECRET_NAME = re.compile(
    r'(TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|PRIVATE|(^|_)KEY($|_)|ACCESS_KEY|API_KEY|AUTH)',
    re.IGNORECASE,
)


class Secret(str):
    """A string that must stay out of runtime_env, logs and reprs (``Secret('s3cr3t')``)."""

    def __repr__(self) -> str:
        return "Secret('***')"

    def reveal(self) -> str:
        return str.__str__(self)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def reveal(value: Any) -> str:
    """The plain text of a value, marked secret or not."""
    return _reveal(value)[0]


def _reveal(value: Any) -> tuple[str, bool]:
    if isinstance(value, Secret):
        return value.reveal(), True
    get_secret = getattr(value, 'get_secret_value', None)
    if callable(get_secret):
        return str(get_secret()), True
    return str(value), False


def split_env(env: Mapping[str, Any] | None) -> tuple[dict[str, str], dict[str, str]]:
    """``(public, secret)``: public values may go into a runtime_env, secret ones may not."""
    public: dict[str, str] = {}
    secret: dict[str, str] = {}
    for key, raw in (env or {}).items():
        if raw is None:
            continue
        value, marked = _reveal(raw)
        if marked or is_secret_name(str(key)):
            secret[str(key)] = value
        else:
            public[str(key)] = value
    return public, secret


MASK = '***'


def redact_values(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret value (four characters or more) replaced by ``***``."""
    for value in sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True):
        text = text.replace(value, MASK)
    return text
