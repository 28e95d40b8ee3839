"""Small text conventions the newer formats share: split names and attribute values as text."""

from __future__ import annotations

from typing import Any

from synapse_sdk.utils.converters._layout import SPLIT_ALIASES
from synapse_sdk.utils.converters._voc import _attr_text, _attr_value

_SPLITS = {alias: split for split, aliases in SPLIT_ALIASES.items() for alias in aliases}


def split_name(text: str | None) -> str:
    """A split as DM names it (``'Validation'`` -> ``'valid'``); ``''`` for none or ``default``."""
    name = (text or '').strip()
    if not name or name.lower() == 'default':
        return ''
    return _SPLITS.get(name.lower(), name)


def attr_text(value: Any) -> str:
    """An attribute value as text that :func:`attr_value` reads back as the same value."""
    return _attr_text(value)


def attr_value(text: str) -> Any:
    """The value :func:`attr_text` wrote (plain text stays text; ``true``, ``3``, ``[1]`` are JSON)."""
    return _attr_value(text)


def number_text(value: float) -> str:
    """A coordinate with at most 6 decimals and no trailing zeros (``12.5``, ``3``)."""
    text = f'{value:.6f}'.rstrip('0').rstrip('.')
    return '0' if text in ('-0', '') else text
