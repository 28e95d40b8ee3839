"""The ``local`` execution mode: run the action in this process through :class:`LocalExecutor`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins.executors.local import LocalExecutor
from synapse_sdk.plugins.executors.registry import ActionRef


class LocalMode:
    """``mode='local'``: keywords are :class:`LocalExecutor`'s (``env``, ``language``, ``sinks``, ``client``...)."""

    def __init__(self, **options: Any) -> None:
        self.executor = LocalExecutor(**options)

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> Any:
        return self.executor.execute(ref.load(), params, plugin_path=ref.plugin_path)
