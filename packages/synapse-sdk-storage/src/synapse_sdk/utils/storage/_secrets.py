"""Keep credentials out of every string the storage layer produces (rules from :mod:`synapse_sdk.core._secrets`).

fsspec keeps credentials in clear (``fs.storage_options``, ``fs.to_json()``) and its HTTP
filesystem echoes URLs, ``user:password@`` included, in its errors. Everything a user can see
(reprs, errors, logs, progress) is passed through :func:`scrub` with the provider's secrets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from synapse_sdk.core._secrets import MASK, redact_mapping, redact_text, secret_variants

# Storage configuration keys that hold secrets although their name does not say so.
EXTRA_SECRET_KEYS = ('headers',)


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with URL user-info, secret-shaped tokens and every known secret value replaced by ``***``."""
    return redact_text(text, secrets)


def redact_config(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a (nested) configuration safe to show: secret values become ``***``."""
    return redact_mapping(configuration, extra_names=EXTRA_SECRET_KEYS)


__all__ = ['MASK', 'redact_config', 'scrub', 'secret_variants']
