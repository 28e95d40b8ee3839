"""Run an action in the current process."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from synapse_sdk.plugins._context import PluginEnvironment, RuntimeContext
from synapse_sdk.plugins._dispatch import ActionTarget, load_entrypoint, plugin_import_path, run_action
from synapse_sdk.plugins._events import ConsoleSink, EventBus, EventSink


@contextlib.contextmanager
def _environ_overlay(values: Mapping[str, str] | None) -> Iterator[None]:
    """Expose explicit ``env`` values in ``os.environ`` during the run, as Ray workers would see them."""
    if not values:
        yield
        return
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


class LocalExecutor:
    """``LocalExecutor(env={'DEBUG': 'true'}, language='ko').execute(TrainAction, {'epochs': 10})``.

    ``sinks`` default to a console in the run's language; pass ``sinks=[]`` for a silent run.
    """

    def __init__(
        self,
        env: PluginEnvironment | Mapping[str, Any] | None = None,
        job_id: str | None = None,
        language: str | None = None,
        *,
        sinks: Iterable[EventSink] | None = None,
        client: Any = None,
    ) -> None:
        self._explicit_env = env is not None
        self.env = (
            env
            if isinstance(env, PluginEnvironment)
            else (PluginEnvironment(env) if env is not None else PluginEnvironment.from_environ())
        )
        self.job_id = job_id
        self.language = language
        self.sinks: list[EventSink] = list(sinks) if sinks is not None else [ConsoleSink(language)]
        self.client = client

    def context(self, action_name: str | None = None) -> RuntimeContext:
        return RuntimeContext(
            events=EventBus(self.sinks, job_id=self.job_id),
            env=self.env,
            job_id=self.job_id,
            client=self.client,
            language=self.language,
            action_name=action_name,
        )

    def execute(
        self, action: ActionTarget | str, params: Any = None, *, plugin_path: str | os.PathLike[str] | None = None
    ) -> Any:
        """Run ``action`` (an action object or an entrypoint string) with ``params``; return its result."""
        with plugin_import_path(plugin_path):
            target = load_entrypoint(action, plugin_path=plugin_path) if isinstance(action, str) else action
            with _environ_overlay(self.env.to_dict() if self._explicit_env else None):
                return run_action(target, params, self.context())
