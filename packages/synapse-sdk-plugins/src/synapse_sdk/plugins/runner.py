"""``run_plugin``: find an action and run it in the execution mode the registry names (local, task, job, serve...)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.plugins._dispatch import ActionTarget
from synapse_sdk.plugins.discovery import PluginDiscovery
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
    plugin: str | os.PathLike[str] | ModuleType | None,
    action: str,
    params: dict[str, Any] | None = None,
    *,
    mode: ExecutionMode | str = ExecutionMode.LOCAL,
    action_cls: ActionTarget | None = None,
    **executor_kwargs: Any,
) -> Any:
    """Run ``action`` of ``plugin`` with ``params`` in the execution mode named by ``mode``.

    Modes come from :data:`synapse_sdk.plugins.executors._registry.EXECUTORS`: ``'local'``
    (default) and ``'task'`` return the action's result, ``'job'`` the Ray job id, ``'serve'`` a
    :class:`~synapse_sdk.plugins._serving.ServeHandle` (embedded server on loopback; on Ray Serve
    with ``address=``). ``action_cls`` skips discovery. Extra keywords go to the executor.
    """
    from synapse_sdk.plugins.executors._registry import ActionRef, get_executor

    try:
        executor_cls = get_executor(str(mode))
    except NotFoundError as error:
        raise PluginError(error.message, details=error.details) from None
    params = {} if params is None else params
    discovery = None if action_cls is not None or plugin is None else discover_plugin(plugin)
    if discovery is None and action_cls is None:
        raise PluginError('run_plugin() needs a plugin (folder, config.yaml or module) or action_cls=')
    ref = ActionRef(action, discovery=discovery, target=action_cls)
    return executor_cls(**executor_kwargs).run(ref, params)
