"""Execution modes as a registry: ``run_plugin`` and the CLI look a mode up by name, never branch on it.

Contract (shared by every executor, in this distribution or another one):

- An executor class is built with the caller's executor keywords (``ExecutorClass(**kwargs)``) and
  satisfies :class:`Executor`: ``run(ref, params)`` runs the action named by ``ref`` (an
  :class:`ActionRef`) with ``params`` and returns what the mode returns.
- Built in here: ``local`` (this process; returns the result), ``serve_local`` (the embedded HTTP
  server on loopback; returns a :class:`~synapse_sdk.plugins._serving.ServeHandle`) and ``serve``
  (the embedded server, or ``serve_ray`` when ``address=`` is given or ``RAY_ADDRESS`` is set).
- Registered by ``synapse-sdk-ray`` through the ``synapse_sdk.executors`` entry-point group:
  ``task`` (a warm Ray actor; returns the result), ``job`` (a Ray job; returns the job id) and
  ``serve_ray`` (a Ray Serve application; returns a ``ServeHandle``), in
  ``packages/synapse-sdk-ray/pyproject.toml``. A name listed in :data:`INSTALL_HINTS` that no
  installed distribution registers fails with the install command.
- Third parties add modes through the same entry-point group; built-in names cannot be replaced.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from synapse_sdk.core._lazy import install_command
from synapse_sdk.core._registry import Registry
from synapse_sdk.core.errors import MissingDependencyError, NotFoundError

if TYPE_CHECKING:
    from synapse_sdk.plugins._dispatch import ActionTarget
    from synapse_sdk.plugins.discovery import PluginDiscovery

ENTRY_POINT_GROUP = 'synapse_sdk.executors'

# Modes other distributions provide: name -> extra of the meta-package that installs them.
INSTALL_HINTS: dict[str, str] = {'task': 'ray', 'job': 'ray', 'serve_ray': 'ray'}


@dataclass(frozen=True)
class ActionRef:
    """The action ``run_plugin`` was asked for: by name in a discovered plugin, or as an object."""

    name: str
    discovery: PluginDiscovery | None = None
    target: ActionTarget | None = None

    @property
    def plugin_path(self) -> Path | None:
        """The plugin folder (the working_dir remote modes ship), if the action came from one."""
        return self.discovery.path if self.discovery is not None else None

    def load(self) -> ActionTarget:
        """The action object, imported here."""
        if self.target is not None:
            return self.target
        assert self.discovery is not None
        return self.discovery.get_action_class(self.name)

    def remote_target(self) -> ActionTarget | str:
        """What a remote worker imports: the object given, else the action's ``pkg.mod:Attr`` entrypoint."""
        if self.target is not None:
            return self.target
        assert self.discovery is not None
        return self.discovery.get_action_entrypoint(self.name)

    def entrypoint(self) -> str:
        """``pkg.mod:Attr`` of the action (for workers that import it by name)."""
        from synapse_sdk.plugins._remote.requests import entrypoint_of

        return entrypoint_of(self.remote_target())


@runtime_checkable
class Executor(Protocol):
    """One execution mode, built with the caller's executor keywords."""

    def __init__(self, **options: Any) -> None: ...

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> Any:
        """Run (or deploy) the action and return the mode's outcome."""
        ...


EXECUTORS: Registry[type[Executor]] = Registry('execution mode', ENTRY_POINT_GROUP)
EXECUTORS.register('local', 'synapse_sdk.plugins.executors._modes:LocalMode')
EXECUTORS.register('serve_local', 'synapse_sdk.plugins._serving.local:LocalServeExecutor', aliases=('local_serve',))
EXECUTORS.register('serve', 'synapse_sdk.plugins._serving.local:ServeExecutor')


def get_executor(mode: str) -> type[Executor]:
    """The executor class registered for ``mode``; a known mode of a missing distribution names its install."""
    name = str(mode).strip().lower()
    if name == 'jobs-api':
        name = 'job'
    if name not in EXECUTORS and name in INSTALL_HINTS:
        raise MissingDependencyError(
            f'execution mode {name!r} is provided by synapse-sdk-{INSTALL_HINTS[name]}, which is not installed. '
            f'Install it with: {install_command(INSTALL_HINTS[name])}',
            details={'mode': name, 'extra': INSTALL_HINTS[name]},
        )
    try:
        return EXECUTORS.load(name)
    except NotFoundError:
        available = ', '.join(available_modes(include_hinted=True))
        raise NotFoundError(
            f'unknown execution mode {mode!r}; use one of: {available}', details={'mode': mode}
        ) from None
    except MissingDependencyError as error:
        extra = INSTALL_HINTS.get(name)
        if extra is None or 'Install it with' in error.message:
            raise
        raise MissingDependencyError(
            f'{error.message} Install it with: {install_command(extra)}', details=error.details
        ) from error


def available_modes(*, include_hinted: bool = False) -> list[str]:
    """Registered mode names, the common ones first (the CLI's choices and the docs' table come from here).

    ``include_hinted`` adds modes of distributions that are not installed.
    """
    names = set(EXECUTORS.names()) | (set(INSTALL_HINTS) if include_hinted else set())
    first = [m for m in ('local', 'task', 'job', 'serve') if m in names]
    return first + sorted(names - set(first))


def ray_address_given(options: Mapping[str, Any]) -> bool:
    """Whether a serve call names a Ray cluster (``address=`` / ``ray_address=``, or ``RAY_ADDRESS``)."""
    return bool(options.get('address') or options.get('ray_address') or os.environ.get('RAY_ADDRESS'))


__all__ = [
    'ENTRY_POINT_GROUP',
    'EXECUTORS',
    'INSTALL_HINTS',
    'ActionRef',
    'Executor',
    'available_modes',
    'get_executor',
    'ray_address_given',
]
