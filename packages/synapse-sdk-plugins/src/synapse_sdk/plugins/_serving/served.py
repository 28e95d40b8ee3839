"""``ServedAction``: the transport-neutral heart of serving, used by the embedded server and Ray Serve alike.

One ``ServedAction`` lives as long as its server (a local process or one Ray Serve replica). It
imports the action once, keeps an LRU of loaded models (:class:`~synapse_sdk.plugins._models.ModelCache`,
``max_models_per_replica``, keyed by the ``serve_multiplexed_model_id`` header) and answers each
request body with a :class:`ServeResponse`:

- 200: the action's result as JSON;
- 400 ``{"error": {"type": "BadRequest", "message": ...}}``: the body is not a JSON object;
- 422 ``{"error": {"type": "ParamsValidationError", "message": ..., "errors": [{"loc", "msg", "type"}...]}}``:
  every bad field, checked by the action's params model (never the rejected values);
- 500 ``{"error": {"type": "<class of the action's exception>", "message": "<one line>"}}``: no
  traceback, and every secret value of the environment masked; 503 (same body, ``Retry-After``)
  when that exception is a ``ConnectionError`` or ``TimeoutError`` (transient: callers retry).

Requests run on the SDK's one dispatch path (:func:`synapse_sdk.plugins._dispatch.run_action`),
so a served action validates and behaves exactly as in ``local``, ``task`` or ``job`` mode.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from synapse_sdk.plugins._context import PluginEnvironment, RuntimeContext
from synapse_sdk.plugins._dispatch import ActionTarget, action_spec, load_entrypoint, run_action
from synapse_sdk.plugins._events import EventBus, EventSink
from synapse_sdk.plugins._models import ModelCache
from synapse_sdk.plugins._remote.secrets import is_secret_name, redact_values, split_env
from synapse_sdk.plugins._remote.transport import jsonable
from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError

if TYPE_CHECKING:
    from synapse_sdk.plugins.discovery import PluginDiscovery

MODEL_ID_HEADER = 'serve_multiplexed_model_id'
JSON_HEADERS = {'Content-Type': 'application/json'}
MAX_MESSAGE = 500


@dataclass(frozen=True)
class ServeResponse:
    """What a transport sends back: HTTP ``status``, a JSON ``body`` and ``headers``."""

    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=lambda: dict(JSON_HEADERS))

    def json(self) -> Any:
        return json.loads(self.body.decode('utf-8'))


def json_response(status: int, payload: Any) -> ServeResponse:
    return ServeResponse(status, json.dumps(payload, ensure_ascii=False).encode('utf-8'))


def error_response(status: int, error_type: str, message: str, **extra: Any) -> ServeResponse:
    return json_response(status, {'error': {'type': error_type, 'message': message, **extra}})


def one_line(text: str, secrets: Iterable[str] = ()) -> str:
    """The first line of ``text``, secrets masked, at most :data:`MAX_MESSAGE` characters."""
    line = redact_values(str(text), secrets).strip().splitlines()[0] if str(text).strip() else ''
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 3] + '...'


def field_errors(error: ParamsValidationError) -> list[dict[str, Any]]:
    """Every bad field as ``{loc, msg, type}`` (the rejected input is left out: it may be secret)."""
    return [
        {
            'loc': [p if isinstance(p, (int, str)) else str(p) for p in e.get('loc', ())],
            'msg': str(e.get('msg', '')),
            'type': str(e.get('type', 'value_error')),
        }
        for e in error.errors
    ]


class ServedAction:
    """One action, loaded once, answering requests: ``ServedAction.from_plugin('plugin/', 'inference')``.

    ``target`` is the action object or its ``pkg.mod:Attr`` entrypoint (imported from
    ``plugin_path``). ``defaults`` are params every request starts from (its body wins). ``env``
    is the action's environment (``ctx.env``); ``client`` its backend (default: the platform when
    configured, else the embedded local backend, resolved once). Thread-safe: a transport may call
    :meth:`handle` from many threads.
    """

    def __init__(
        self,
        target: ActionTarget | str,
        *,
        plugin_path: str | os.PathLike[str] | None = None,
        action_name: str | None = None,
        env: PluginEnvironment | Mapping[str, Any] | None = None,
        language: str | None = None,
        max_models_per_replica: int = 3,
        defaults: Mapping[str, Any] | None = None,
        client: Any = None,
        sinks: Iterable[EventSink] | None = None,
    ) -> None:
        self._target_ref = target
        self.plugin_path = Path(plugin_path).resolve() if plugin_path is not None else None
        self._action_name = action_name
        self.env = env if isinstance(env, PluginEnvironment) else PluginEnvironment(env or {})
        self.language = language
        self.defaults = dict(defaults or {})
        self.models = ModelCache(max_models_per_replica)
        self.max_models_per_replica = max_models_per_replica
        self.sinks: list[EventSink] = list(sinks) if sinks is not None else []
        self.events = EventBus(self.sinks)  # one bus: concurrent requests never reach a sink at once
        self._client = client
        self._client_lock = threading.Lock()
        self._target: ActionTarget | None = None if isinstance(target, str) else target
        _, secret = split_env(self.env.to_dict())
        self._secrets = list(secret.values())

    @classmethod
    def from_plugin(
        cls,
        plugin: str | os.PathLike[str] | PluginDiscovery,
        action: str,
        **options: Any,
    ) -> ServedAction:
        """Serve ``action`` of a plugin folder, ``config.yaml`` or discovery; the config's env is the base env."""
        from synapse_sdk.plugins.discovery import PluginDiscovery
        from synapse_sdk.plugins.runner import discover_plugin

        discovery = plugin if isinstance(plugin, PluginDiscovery) else discover_plugin(plugin)
        config_env = dict(discovery.config.env or {})
        env = options.pop('env', None)
        merged = {**config_env, **(env.to_dict() if isinstance(env, PluginEnvironment) else dict(env or {}))}
        return cls(
            discovery.get_action_entrypoint(action),
            plugin_path=discovery.path,
            action_name=action,
            env=merged,
            **options,
        )

    # -- life cycle --------------------------------------------------------------------------
    @property
    def action_name(self) -> str:
        if self._action_name:
            return self._action_name
        target = self.load()
        spec = action_spec(target)
        return spec.name or str(getattr(target, '__name__', 'action'))

    def load(self) -> ActionTarget:
        """Import the action (once). The plugin folder stays on ``sys.path``: requests import from it."""
        if self._target is None:
            if self.plugin_path is not None and str(self.plugin_path) not in sys.path:
                sys.path.insert(0, str(self.plugin_path))
            assert isinstance(self._target_ref, str)
            self._target = load_entrypoint(self._target_ref, plugin_path=self.plugin_path)
        return self._target

    @property
    def client(self) -> Any:
        """The backend, resolved once for every request."""
        if self._client is None:
            with self._client_lock:
                if self._client is None:
                    from synapse_sdk.clients._factory import default_client

                    self._client = default_client(self.env)
        return self._client

    def health(self) -> dict[str, Any]:
        return {'status': 'ok', 'action': self.action_name, 'models': self.models.ids()}

    def close(self) -> None:
        self.models.clear()

    # -- requests ----------------------------------------------------------------------------
    def context(self, model_id: str | None = None) -> RuntimeContext:
        return RuntimeContext(
            events=self.events,
            env=self.env,
            client=self._client if self._client is not None else _LazyClient(self),
            language=self.language,
            action_name=self.action_name,
            models=self.models,
            model_id=model_id or None,
        )

    def _secret_values(self) -> list[str]:
        process = [v for k, v in os.environ.items() if is_secret_name(k)]
        return [*self._secrets, *process]

    def handle(self, body: bytes | str | Mapping[str, Any], model_id: str | None = None) -> ServeResponse:
        """Answer one ``POST`` body (JSON object of params) for ``model_id``; never raises."""
        if isinstance(body, Mapping):
            payload: Any = dict(body)
        else:
            try:
                payload = json.loads(body or b'{}')
            except (ValueError, UnicodeDecodeError) as error:
                return error_response(400, 'BadRequest', f'the request body is not valid JSON: {one_line(str(error))}')
        if not isinstance(payload, dict):
            return error_response(
                400, 'BadRequest', f'the request body must be a JSON object of params, not {type(payload).__name__}'
            )
        try:
            target = self.load()
            result = run_action(target, {**self.defaults, **payload}, self.context(model_id))
        except ParamsValidationError as error:
            errors = field_errors(error)
            where = '; '.join(f'{".".join(map(str, e["loc"])) or "(params)"}: {e["msg"]}' for e in errors)
            return error_response(
                422,
                'ParamsValidationError',
                one_line(f'invalid params for action {error.action!r}: {where}', self._secret_values()),
                errors=errors,
            )
        except ExecutionError as error:
            cause = error.original if error.original is not None else error
            message = cause.message if hasattr(cause, 'message') else str(cause)
            response = error_response(500, type(cause).__name__, one_line(message, self._secret_values()))
            if isinstance(cause, (ConnectionError, TimeoutError)):  # the action's own upstream: worth a retry
                return ServeResponse(503, response.body, {**JSON_HEADERS, 'Retry-After': '1'})
            return response
        except Exception as error:  # an import or setup failure: still typed, still one line
            message = error.message if hasattr(error, 'message') else str(error)
            return error_response(500, type(error).__name__, one_line(message, self._secret_values()))
        try:
            return json_response(200, jsonable(result))
        except (TypeError, ValueError) as error:
            return error_response(500, 'ResultNotSerializable', one_line(str(error)))


class _LazyClient:
    """Resolve the served action's backend only when a request uses it (most inference requests never do)."""

    def __init__(self, served: ServedAction) -> None:
        self._served = served

    def __getattr__(self, name: str) -> Any:
        return getattr(self._served.client, name)

    def __repr__(self) -> str:
        return 'LazyClient()'


__all__ = ['JSON_HEADERS', 'MODEL_ID_HEADER', 'ServeResponse', 'ServedAction', 'error_response', 'json_response']
