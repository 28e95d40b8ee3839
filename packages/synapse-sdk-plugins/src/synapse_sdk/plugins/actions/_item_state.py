"""Per-item state of a resumable batch run (queued / done / failed with the reason), kept on the backend.

A run killed half-way is started again with the same params: items already ``done`` are skipped,
the rest (never started, in flight at the kill, or failed) are processed. The embedded local
backend stores states in its own table (``set_item_states`` / ``list_item_states``); any other
backend keeps them in the ``result`` of a job record named after the run, through the protocol's
``get_job`` / ``create_job`` / ``update_job``.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Mapping
from typing import Any, Literal

from synapse_sdk.core.errors import NotFoundError

ItemState = Literal['queued', 'done', 'failed']
QUEUED: ItemState = 'queued'
DONE: ItemState = 'done'
FAILED: ItemState = 'failed'


def run_key(prefix: str, identity: Mapping[str, Any]) -> str:
    """A stable run id from what identifies the run (same params -> same id -> resume)."""
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:20]
    return f'{prefix}-{digest}'


class ItemStates:
    """``ItemStates(backend, run_id)``: ``load()`` what earlier attempts recorded, ``mark()`` each item."""

    def __init__(self, backend: Any, run_id: str) -> None:
        self.backend = backend
        self.run_id = run_id
        self._native = callable(getattr(backend, 'set_item_states', None)) and callable(
            getattr(backend, 'list_item_states', None)
        )
        self._lock = threading.Lock()
        self._cache: dict[str, dict[str, Any]] = {}

    def load(self) -> dict[str, dict[str, Any]]:
        if self._native:
            states = dict(self.backend.list_item_states(self.run_id))
        else:
            try:
                job = self.backend.get_job(self.run_id)
            except NotFoundError:
                job = self.backend.create_job('item_states', {}, job_id=self.run_id)
            states = dict(((job.get('result') or {}).get('items')) or {})
        with self._lock:
            self._cache = {str(k): dict(v) for k, v in states.items()}
            return dict(self._cache)

    def mark(self, item_id: Any, state: ItemState, reason: str | None = None, *, attempts: int = 0) -> None:
        record = {'state': state, 'reason': reason, 'attempts': attempts}
        with self._lock:
            if self._native:
                self.backend.set_item_states(self.run_id, {str(item_id): record})
                return
            previous = self._cache.get(str(item_id), {})
            record['attempts'] = int(previous.get('attempts', 0)) + attempts
            self._cache[str(item_id)] = record
            self.backend.update_job(self.run_id, result={'items': self._cache})


__all__ = ['DONE', 'FAILED', 'QUEUED', 'ItemState', 'ItemStates', 'run_key']
