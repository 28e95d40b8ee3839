"""Fast JSON: orjson when installed (it is a dependency), the standard library otherwise."""

from __future__ import annotations

import json
from typing import Any

try:
    import orjson

    def loads(data: bytes | str) -> Any:
        return orjson.loads(data)

    def dumps(obj: Any, *, indent: bool = False) -> bytes:
        option = orjson.OPT_INDENT_2 if indent else 0
        data: bytes = orjson.dumps(obj, option=option)
        return data

    DecodeError: type[ValueError] = orjson.JSONDecodeError

except ImportError:  # pragma: no cover - orjson is a declared dependency

    def loads(data: bytes | str) -> Any:
        return json.loads(data)

    def dumps(obj: Any, *, indent: bool = False) -> bytes:
        return json.dumps(obj, ensure_ascii=False, indent=2 if indent else None).encode()

    DecodeError = json.JSONDecodeError
