"""Parse JSON options given inline or as ``@file.json``, with errors that name the line and column."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synapse_sdk.cli.errors import fail


def json_object_option(text: str, option: str, example: str) -> dict[str, Any]:
    """``text`` (inline JSON or ``@path``) as a dict; anything else exits with one clear message."""
    source = option
    if text.startswith('@'):
        file = Path(text[1:])
        if not file.is_file():
            raise fail(f'{option} file {file} does not exist')
        source, text = str(file), file.read_text(encoding='utf-8')
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise fail(f'{source} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}') from None
    if not isinstance(value, dict):
        raise fail(f'{source} must be a JSON object like {example}, got {type(value).__name__}')
    return value
