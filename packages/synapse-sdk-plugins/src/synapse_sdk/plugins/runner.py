"""``run_plugin``: find an action and run it here, in a Ray actor, or as a Ray job."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from synapse_sdk.plugins.discovery import PluginDiscovery
from synapse_sdk.plugins.dispatch import ActionTarget, entrypoint_of
from synapse_sdk.plugins.enums import ExecutionMode
from synapse_sdk.plugins.errors import PluginError

__all__ = ['ExecutionMode', 'discover_plugin', 'run_plugin']


def _looks_like_path(plugin: str | os.PathLike[str]) -> bool:
    text = os.fspath(plugin)
    path = Path(text)
    return path.exists() or text.endswith(('.yaml', '.yml')) or os.sep in text or text.startswith('.')


def discover_plugin(plugin: str | os.PathLike[str] | ModuleType) -> PluginDiscovery:
    """A plugin folder / config file, an importable module name, or a module object."""
    if isinstance(plugin, ModuleType):
        return PluginDiscovery.from_module(plugin)
    if _looks_like_path(plugin):
        return PluginDiscovery.from_path(plugin)
    name = os.fspath(plugin)
    try:
        module = _import_from_cwd(name)
    except ModuleNotFoundError as error:
        if error.name and name.startswith(error.name):
            raise PluginError(
                f'Plugin {name!r} is neither a folder with a config.yaml nor an importable Python module',
                details={'plugin': name},
            ) from None
        raise
    return PluginDiscovery.from_module(module)


def _import_from_cwd(name: str) -> ModuleType:
    """Import ``name``, also looking in the current folder (as ``python -m`` would)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        cwd = os.getcwd()
        if cwd in sys.path:
            raise
        saved = list(sys.path)
        sys.path.insert(0, cwd)
        try:
            return importlib.import_module(name)
        finally:
            sys.path[:] = saved


def run_plugin(
    plugin: str | os.PathLike[str] | ModuleType,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    mode: ExecutionMode | str = ExecutionMode.LOCAL,
    action_cls: ActionTarget | None = None,
    **executor_kwargs: Any,
) -> Any:
    """Run ``action`` of ``plugin`` with ``params``.

    ``mode='local'`` (default) and ``'task'`` return the action's result; ``'job'`` returns the
    Ray job id. ``action_cls`` skips discovery. Extra keywords go to the executor.
    """
    try:
        run_mode = ExecutionMode(str(mode).lower())
    except ValueError:
        allowed = ', '.join(m.value for m in ExecutionMode)
        raise PluginError(f'Unknown execution mode {mode!r}; use one of: {allowed}', details={'mode': mode}) from None
    params = {} if params is None else params
    discovery = None if action_cls is not None else discover_plugin(plugin)
    plugin_path = discovery.path if discovery is not None else None

    if run_mode is ExecutionMode.LOCAL:
        from synapse_sdk.plugins.executors.local import LocalExecutor

        assert discovery is not None or action_cls is not None
        target = action_cls if action_cls is not None else discovery.get_action_class(action)  # type: ignore[union-attr]
        return LocalExecutor(**executor_kwargs).execute(target, params, plugin_path=plugin_path)

    if plugin_path is not None:
        executor_kwargs.setdefault('working_dir', str(plugin_path))
    if action_cls is not None:
        remote_target: Any = action_cls
    else:
        assert discovery is not None
        remote_target = discovery.get_action_entrypoint(action)

    if run_mode is ExecutionMode.TASK:
        from synapse_sdk.plugins.executors.ray.task import RayActorExecutor

        return RayActorExecutor(**executor_kwargs).execute(remote_target, params)

    from synapse_sdk.plugins.executors.ray.jobs_api import RayJobsApiExecutor

    entrypoint = remote_target if isinstance(remote_target, str) else entrypoint_of(remote_target)
    return RayJobsApiExecutor(**executor_kwargs).submit(entrypoint, params)
