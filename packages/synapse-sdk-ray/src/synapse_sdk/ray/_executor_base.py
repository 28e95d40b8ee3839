"""What the Ray executors share: settings, runtime_env and resources.

The transport-neutral parts (env and secret splitting, requests, event replay) live in
:mod:`synapse_sdk.plugins._remote`, so every executor builds them the same way.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any

from synapse_sdk.core._secrets import split_secret_env
from synapse_sdk.plugins._remote.requests import (
    CREDENTIAL_VARS,
    RemoteEnv,
    action_name_of,
    build_request,
    entrypoint_of,
    env_mapping,
    params_payload,
    replay_events,
)
from synapse_sdk.ray._runtime_env import build_runtime_env, read_plugin_settings
from synapse_sdk.ray.errors import ResourceUnavailableError

_env_mapping = env_mapping
__all__ = ['CREDENTIAL_VARS', 'RayExecutorBase', 'action_name_of', 'entrypoint_of', 'params_payload']


def refuse_unsatisfiable(wanted: Mapping[str, float], total: Mapping[str, float], *, where: str) -> None:
    """Raise :class:`ResourceUnavailableError` when any ``wanted`` amount exceeds the cluster's ``total``."""
    for name, amount in wanted.items():
        have = float(total.get(name, 0))
        if amount and amount > have:
            label = {'GPU': 'GPUs', 'CPU': 'CPUs', 'memory': 'bytes of memory'}.get(name, name)
            raise ResourceUnavailableError(
                f'{amount:g} {label} requested, but the Ray cluster at {where} has {have:g} in total. '
                f'Lower the request, or run on a cluster with {label}'
                + (' (`ray start --num-gpus=N` on a GPU node).' if name == 'GPU' else '.'),
                details={'resource': name, 'requested': amount, 'available': have},
            )


class RayExecutorBase:
    def __init__(
        self,
        env: Mapping[str, Any] | Any | None = None,
        *,
        job_id: str | None = None,
        runtime_env: Mapping[str, Any] | None = None,
        working_dir: str | os.PathLike[str] | None = None,
        requirements_file: str | os.PathLike[str] | None = None,
        package_manager: str | None = None,
        package_manager_options: Sequence[str] | None = None,
        wheels_dir: str | None = None,
        num_cpus: float | None = None,
        num_gpus: float | None = None,
        memory: int | None = None,
        include_sdk: bool = False,
        language: str | None = None,
        sinks: Sequence[Any] | None = None,
        secrets: Mapping[str, Any] | None = None,
        include_credentials: bool = True,
    ) -> None:
        self.job_id = job_id
        self.user_runtime_env = dict(runtime_env or {})
        self.working_dir = os.fspath(working_dir) if working_dir is not None else None
        self.requirements_file = requirements_file
        self.package_manager = package_manager
        self.package_manager_options = package_manager_options
        self.wheels_dir = wheels_dir
        self.num_cpus = num_cpus
        self.num_gpus = num_gpus
        self.memory = memory
        self.include_sdk = include_sdk
        self.language = language
        self._sinks = list(sinks) if sinks is not None else None
        self._bus: Any = None
        settings = read_plugin_settings(self.working_dir)
        split = RemoteEnv.build(settings.env, env, secrets=secrets, include_credentials=include_credentials)
        self.public_env = split.public
        self.secret_env = split.secret
        # runtime_env.env_vars (config.yaml or the caller's) are shown by the dashboard: secret ones
        # (by name or shape) move to the side channel too.
        declared = {**(settings.runtime_env.get('env_vars') or {}), **(self.user_runtime_env.get('env_vars') or {})}
        for key, value in split_secret_env(declared)[1].items():
            self.secret_env.setdefault(key, value)

    # -- environment -------------------------------------------------------------------------
    def build_runtime_env(self) -> dict[str, Any]:
        sdk_modules: list[str] = []
        if self.include_sdk:
            from synapse_sdk.ray._sdk_wheels import sdk_py_modules

            sdk_modules = sdk_py_modules()
        env = build_runtime_env(
            working_dir=self.working_dir,
            runtime_env=self.user_runtime_env,
            requirements_file=self.requirements_file,
            package_manager=self.package_manager,
            package_manager_options=self.package_manager_options,
            wheels_dir=self.wheels_dir,
            env_vars=self.public_env,
            sdk_modules=sdk_modules,
        )
        leaked = [k for k in (env.get('env_vars') or {}) if k in self.secret_env]
        for key in leaked:  # a secret named in the user's runtime_env still stays out of it
            env['env_vars'].pop(key)
        return env

    def check_resources(self, total: Mapping[str, float], *, where: str) -> None:
        """Refuse up front what the cluster cannot ever grant (it would wait 15 minutes, then fail)."""
        wanted = {'GPU': self.num_gpus or 0, 'CPU': self.num_cpus or 0, 'memory': self.memory or 0}
        refuse_unsatisfiable(wanted, total, where=where)

    # -- requests and events -------------------------------------------------------------------
    def make_request(self, action: Any, params: Any, *, job_id: str | None = None) -> dict[str, Any]:
        return build_request(
            action,
            params,
            env=RemoteEnv(self.public_env, self.secret_env),
            language=self.language,
            job_id=job_id or self.job_id,
        )

    @property
    def events(self) -> Any:
        """The caller-side event bus that worker events are replayed into."""
        if self._bus is None:
            from synapse_sdk.plugins._events import ConsoleSink, EventBus

            sinks = self._sinks if self._sinks is not None else [ConsoleSink(language=self.language)]
            self._bus = EventBus(sinks)
        return self._bus

    def replay_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        if events:
            replay_events(self.events, events)
