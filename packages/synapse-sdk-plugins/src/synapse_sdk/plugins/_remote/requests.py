"""The request a remote worker receives, built the same way by every executor.

A request is plain JSON-able data: ``action`` (an entrypoint string, or the action object when the
transport pickles), ``action_name``, ``params``, ``env`` (public and secret values together: the
request itself travels only through side channels, never where a dashboard shows it),
``language`` and ``job_id``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins._remote.secrets import reveal, split_env

CREDENTIAL_VARS = {'host': 'SYNAPSE_HOST', 'access_token': 'SYNAPSE_ACCESS_TOKEN', 'tenant': 'SYNAPSE_TENANT'}


def env_mapping(env: Any) -> dict[str, Any]:
    """``env`` (a mapping or a ``PluginEnvironment``) as a plain dict."""
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


def saved_credentials() -> dict[str, str]:
    """The platform credentials of this machine as env vars (empty when none or unreadable)."""
    try:
        from synapse_sdk.core._credentials import load_credentials

        creds = load_credentials()
    except Exception:  # unreadable config: the worker simply gets no platform client
        return {}
    return {
        var: str(value) for field_name, var in CREDENTIAL_VARS.items() if (value := getattr(creds, field_name, None))
    }


@dataclass
class RemoteEnv:
    """A worker's environment split in two: ``public`` may go where Ray shows it, ``secret`` may not."""

    public: dict[str, str] = field(default_factory=dict)
    secret: dict[str, str] = field(default_factory=dict)

    @classmethod
    def build(
        cls,
        *layers: Mapping[str, Any] | Any | None,
        secrets: Mapping[str, Any] | None = None,
        include_credentials: bool = True,
    ) -> RemoteEnv:
        """Merge ``layers`` (later wins), split by :func:`split_env`, add explicit ``secrets`` and saved credentials."""
        merged: dict[str, Any] = {}
        for layer in layers:
            merged.update(env_mapping(layer))
        public, secret = split_env(merged)
        for key, value in (secrets or {}).items():
            public.pop(str(key), None)
            secret[str(key)] = reveal(value)
        if include_credentials:
            for key, value in saved_credentials().items():
                if key not in public and key not in secret:
                    secret[key] = value
        return cls(public, secret)

    @property
    def all(self) -> dict[str, str]:
        return {**self.public, **self.secret}


def build_request(
    action: Any,
    params: Any,
    *,
    env: RemoteEnv | Mapping[str, str] | None = None,
    language: str | None = None,
    job_id: str | None = None,
) -> dict[str, Any]:
    """The request :func:`synapse_sdk.plugins._remote.worker.run_request` runs."""
    values = env.all if isinstance(env, RemoteEnv) else dict(env or {})
    return {
        'action': action,
        'action_name': action_name_of(action),
        'params': params_payload(params),
        'env': values,
        'language': language,
        'job_id': job_id,
    }


def replay_events(bus: Any, events: Sequence[Mapping[str, Any]]) -> None:
    """Emit worker events (``Event.to_dict()`` records) into ``bus`` in order."""
    if not events:
        return
    from synapse_sdk.plugins._events import Event

    for data in events:
        bus.emit(Event.from_dict(dict(data)))


__all__ = [
    'CREDENTIAL_VARS',
    'RemoteEnv',
    'action_name_of',
    'build_request',
    'entrypoint_of',
    'env_mapping',
    'params_payload',
    'replay_events',
    'saved_credentials',
]
