from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins.runner import run_plugin

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


class Runner:
    """Runs an example plugin in-process against one backend, keeping its events."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.sink = MemorySink()

    def __call__(self, plugin: str, action: str, params: dict[str, Any]) -> Any:
        self.sink = MemorySink()
        return run_plugin(str(EXAMPLES / plugin), action, params, client=self.backend, sinks=[self.sink])

    def progress(self, category: str) -> list[float]:
        return [e.data['percent'] for e in self.sink.events if e.kind == 'progress' and e.data['category'] == category]

    def codes(self) -> list[str | None]:
        return [e.code for e in self.sink.events if e.kind == 'message']


@pytest.fixture
def run(backend: LocalBackend) -> Runner:
    return Runner(backend)
