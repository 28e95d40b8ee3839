"""Loaded models kept between calls: an LRU keyed by model id, shared by the requests of one replica.

A served action (locally or on a Ray Serve replica) keeps its :class:`ModelCache` for its whole
life, so ``load_model`` runs once per model, not once per request. ``capacity`` is the replica's
``max_models_per_replica``: loading one more evicts the least recently used model. Loading is
serialised per model id, so two concurrent first requests load the model once.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

DEFAULT_MODEL_KEY = 'default'


def model_key(model_id: Any) -> str:
    """The cache key of a model id (``None`` or ``''``: the action's default model)."""
    return DEFAULT_MODEL_KEY if model_id is None or str(model_id) == '' else str(model_id)


class ModelCache:
    """``cache.get(model_id, loader)`` -> the loaded model; ``capacity=None`` keeps every model."""

    def __init__(self, capacity: int | None = 3, *, on_evict: Callable[[str, Any], None] | None = None) -> None:
        if capacity is not None and capacity < 1:
            raise ValueError(f'capacity must be at least 1, got {capacity}')
        self.capacity = capacity
        self._models: OrderedDict[str, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._loading: dict[str, threading.Lock] = {}
        self._on_evict = on_evict
        self.loads = 0
        self.evictions = 0

    def get(self, model_id: Any, loader: Callable[[], Any]) -> Any:
        key = model_key(model_id)
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
            gate = self._loading.setdefault(key, threading.Lock())
        with gate:
            with self._lock:
                if key in self._models:  # another request loaded it while we waited
                    self._models.move_to_end(key)
                    return self._models[key]
            model = loader()
            evicted: list[tuple[str, Any]] = []
            with self._lock:
                self._models[key] = model
                self.loads += 1
                while self.capacity is not None and len(self._models) > self.capacity:
                    evicted.append(self._models.popitem(last=False))
                    self.evictions += 1
                self._loading.pop(key, None)
        for old_key, old_model in evicted:
            self._release(old_key, old_model)
        return model

    def _release(self, key: str, model: Any) -> None:
        if self._on_evict is not None:
            self._on_evict(key, model)
        close = getattr(model, 'close', None)
        if callable(close):
            close()

    def ids(self) -> list[str]:
        """Loaded model ids, least recently used first."""
        with self._lock:
            return list(self._models)

    def __contains__(self, model_id: object) -> bool:
        with self._lock:
            return model_key(model_id) in self._models

    def __len__(self) -> int:
        with self._lock:
            return len(self._models)

    def clear(self) -> None:
        with self._lock:
            items = list(self._models.items())
            self._models.clear()
        for key, model in items:
            self._release(key, model)
