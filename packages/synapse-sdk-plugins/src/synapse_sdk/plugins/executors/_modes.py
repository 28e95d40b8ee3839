"""The ``local`` execution mode: run the action in this process through :class:`LocalExecutor`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins._context import PluginEnvironment
from synapse_sdk.plugins.executors._registry import ActionRef
from synapse_sdk.plugins.executors.local import LocalExecutor


class LocalMode:
    """``mode='local'``: keywords are :class:`LocalExecutor`'s (``env``, ``language``, ``sinks``, ``client``...).

    The plugin's ``config.yaml`` ``env:`` is the base of the action's environment, as on Ray and in
    the CLI; an ``env=`` given here wins key by key.
    """

    def __init__(self, **options: Any) -> None:
        self.options = options

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> Any:
        options = dict(self.options)
        config = ref.discovery.config if ref.discovery is not None else None
        if config is not None and config.env:
            given: Any = options.get('env')
            given_values = given.to_dict() if isinstance(given, PluginEnvironment) else dict(given or {})
            options['env'] = {**config.env, **given_values}
        return LocalExecutor(**options).execute(ref.load(), params, plugin_path=ref.plugin_path)
