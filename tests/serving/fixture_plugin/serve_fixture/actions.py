"""Served actions for the serving tests: every call is recorded in a file, so tests can count them."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from pydantic import BaseModel

from synapse_sdk.plugins.decorators import action

_lock = threading.Lock()


class ImageParams(BaseModel):
    image_path: str


def _record(ctx: Any, image_path: str) -> int:
    """Append the call to COUNT_FILE; returns how many calls this image has had (this one included)."""
    path = ctx.env['COUNT_FILE']
    with _lock:
        with open(path, 'a', encoding='utf-8') as handle:
            handle.write(image_path + '\n')
        with open(path, encoding='utf-8') as handle:
            return sum(1 for line in handle if line.rstrip('\n') == image_path)


@action(name='count', params=ImageParams)
def count(params: ImageParams, ctx: Any) -> dict[str, Any]:
    """One box per image; images whose name holds FAIL_MARK fail (a model error, not transient)."""
    _record(ctx, params.image_path)
    time.sleep(float(ctx.env.get('DELAY', '0')))
    mark = ctx.env.get('FAIL_MARK')
    if mark and mark in params.image_path and not os.path.exists(ctx.env.get('HEALED', '/nonexistent')):
        raise ValueError(f'cannot read {os.path.basename(params.image_path)}')
    return {'detections': [{'bbox': [0, 0, 8, 6], 'label': 'thing', 'score': 1.0}]}


@action(name='fail')
def fail(params: dict[str, Any], ctx: Any) -> None:
    raise RuntimeError(f'backend refused token {ctx.env["API_TOKEN"]} for user {params.get("user")}')


@action(name='flaky', params=ImageParams)
def flaky(params: ImageParams, ctx: Any) -> dict[str, Any]:
    """The first call per image loses its upstream (a ConnectionError: 503, worth a retry)."""
    if _record(ctx, params.image_path) == 1:
        raise ConnectionError('upstream feature store went away')
    return {'detections': [{'bbox': [1, 1, 2, 2], 'label': 'flaky', 'score': 0.5}]}
