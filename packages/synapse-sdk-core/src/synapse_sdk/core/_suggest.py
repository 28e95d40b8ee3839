"""Did-you-mean for every name a user types: params keys, configuration keys, choices.

One wording everywhere, so a typo reads the same whether it is in ``--params``, a storage
configuration or ``config.yaml``.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

_CUTOFF = 0.6


def closest(name: str, choices: Iterable[str], *, cutoff: float = _CUTOFF) -> str | None:
    """The choice nearest to ``name`` (case-insensitive), or None when nothing is close."""
    pool = sorted({str(c) for c in choices})
    by_lower = {c.lower(): c for c in pool}
    match = difflib.get_close_matches(name.lower(), list(by_lower), n=1, cutoff=cutoff)
    return by_lower[match[0]] if match else None


def did_you_mean(name: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'epochs'?)`` or an empty string."""
    match = closest(name, choices)
    return f' (did you mean {match!r}?)' if match else ''


def unknown_names_message(kind: str, unknown: Iterable[str], valid: Iterable[str]) -> str:
    """``unknown params key 'epoch' (did you mean 'epochs'?); valid keys: batch_size, epochs``."""
    pool = sorted({str(v) for v in valid})
    parts = [f'{name!r}{did_you_mean(name, pool)}' for name in sorted(unknown)]
    plural = 's' if len(parts) > 1 else ''
    listed = ', '.join(pool) or '(none)'
    return f'unknown {kind}{plural} {", ".join(parts)}; valid: {listed}'
