"""Parse JSON options given inline or as ``@file.json``, within the SDK's parsing bounds.

Errors name the option or file, and the line and column; they exit with one message, no traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_sdk.cli.errors import fail
from synapse_sdk.core._parsing import load_json
from synapse_sdk.core.errors import ParseError


def json_object_option(text: str, option: str, example: str) -> dict[str, Any]:
    """``text`` (inline JSON or ``@path``) as a dict; anything else exits with one clear message."""
    source = option
    try:
        if text.startswith('@'):
            file = Path(text[1:])
            if not file.exists():
                raise fail(f'{option} file {file} does not exist')
            source = str(file)
            value = load_json(file)
        else:
            value = load_json(text, source=option)
    except ParseError as error:
        raise fail(error.message) from None
    if not isinstance(value, dict):
        raise fail(f'{source} must be a JSON object like {example}, got {type(value).__name__}')
    return value
