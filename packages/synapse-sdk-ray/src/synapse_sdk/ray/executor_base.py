"""What the actor and job executors share: settings, env and secrets, requests, events, resources."""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping, Sequence
from typing import Any

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.ray.errors import ResourceUnavailableError
from synapse_sdk.ray.runtime_env import build_runtime_env, read_plugin_settings
from synapse_sdk.ray.secrets import reveal, split_env

CREDENTIAL_VARS = {'host': 'SYNAPSE_HOST', 'access_token': 'SYNAPSE_ACCESS_TOKEN', 'tenant': 'SYNAPSE_TENANT'}


def _env_mapping(env: Any) -> dict[str, Any]:
    if env is None:
        return {}
    to_dict = getattr(env, 'to_dict', None)
    if callable(to_dict):
        return dict(to_dict())
    if isinstance(env, Mapping):
        return dict(env)
    raise ConfigError(f'env must be a mapping or a PluginEnvironment, not {type(env).__name__}')


def entrypoint_of(action: Any) -> str:
    """``'pkg.mod:Attr'`` for a class or function defined at a module's top level."""
    if isinstance(action, str):
        return action
    module = getattr(action, '__module__', None)
    name = getattr(action, '__qualname__', None) or getattr(action, '__name__', None)
    if not module or not name or '<locals>' in name or module == '__main__':
        raise ConfigError(
            f'{action!r} cannot be named as an entrypoint on the worker: define it at the top level of a '
            "module inside working_dir, or pass its entrypoint string ('pkg.mod:Attr')"
        )
    return f'{module}:{name}'


def action_name_of(action: Any) -> str | None:
    if isinstance(action, str):
        return action.replace(':', '.').rsplit('.', 1)[-1]
    name = getattr(action, 'action_name', None)
    return str(name) if name else getattr(action, '__name__', None)


def params_payload(params: Any) -> Any:
    """Params as plain data (a pydantic model becomes its JSON-mode dict)."""
    dump = getattr(params, 'model_dump', None)
    if callable(dump) and not inspect.isclass(params):
        return dump(mode='json')
    return params


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
        merged = {**settings.env, **_env_mapping(env)}
        public, secret = split_env(merged)
        for key, value in (secrets or {}).items():
            public.pop(str(key), None)
            secret[str(key)] = reveal(value)
        if include_credentials:
            self._add_credentials(public, secret)
        self.public_env = public
        self.secret_env = secret

    @staticmethod
    def _add_credentials(public: dict[str, str], secret: dict[str, str]) -> None:
        try:
            from synapse_sdk.core.credentials import load_credentials

            creds = load_credentials()
        except Exception:  # unreadable config: the worker simply gets no platform client
            return
        for field, var in CREDENTIAL_VARS.items():
            value = getattr(creds, field, None)
            if value and var not in public and var not in secret:
                secret[var] = str(value)

    # -- environment -------------------------------------------------------------------------
    def build_runtime_env(self) -> dict[str, Any]:
        sdk_modules: list[str] = []
        if self.include_sdk:
            from synapse_sdk.ray.sdk_wheels import sdk_py_modules

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
        return {
            'action': action,
            'action_name': action_name_of(action),
            'params': params_payload(params),
            'env': {**self.public_env, **self.secret_env},
            'language': self.language,
            'job_id': job_id or self.job_id,
        }

    @property
    def events(self) -> Any:
        """The caller-side event bus that worker events are replayed into."""
        if self._bus is None:
            from synapse_sdk.plugins.events import ConsoleSink, EventBus

            sinks = self._sinks if self._sinks is not None else [ConsoleSink(language=self.language)]
            self._bus = EventBus(sinks)
        return self._bus

    def replay_events(self, events: Sequence[Mapping[str, Any]]) -> None:
        if not events:
            return
        from synapse_sdk.plugins.events import Event

        bus = self.events
        for data in events:
            bus.emit(Event.from_dict(dict(data)))
