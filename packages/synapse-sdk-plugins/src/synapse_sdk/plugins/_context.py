"""What an action sees while it runs: params aside, its environment, client, language and event outlet."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.clients._protocol import BackendProtocol
from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode, resolve_language
from synapse_sdk.plugins._events import Event, EventBus, EventSink

_TRUE = {'1', 'true', 'yes', 'on', 'y', 't'}
_FALSE = {'0', 'false', 'no', 'off', 'n', 'f', ''}


class PluginEnvironment(Mapping[str, str]):
    """Typed read access to a plugin's environment variables (a read-only string mapping)."""

    def __init__(self, values: Mapping[str, Any] | None = None) -> None:
        self._snapshot: dict[str, str] | None = {str(k): str(v) for k, v in (values or {}).items()}
        self._prefix: str | None = None

    @classmethod
    def from_environ(cls, prefix: str = '') -> PluginEnvironment:
        """The process environment (keys with ``prefix``, prefix removed), read when first used."""
        env = cls()
        env._snapshot, env._prefix = None, prefix
        return env

    @property
    def _values(self) -> dict[str, str]:
        if self._snapshot is None:
            prefix = self._prefix or ''
            self._snapshot = {k[len(prefix) :]: v for k, v in os.environ.items() if k.startswith(prefix)}
        return self._snapshot

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], *, base: Mapping[str, str] | None = None) -> PluginEnvironment:
        """``KEY=VALUE`` lines (``#`` comments, optional quotes); file values override ``base``."""
        values = dict(base or {})
        for number, raw in enumerate(Path(path).read_text(encoding='utf-8').splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            if '=' not in line:
                from synapse_sdk.plugins.errors import PluginConfigError

                raise PluginConfigError(f'{path}:{number}: expected KEY=VALUE, got {line!r}')
            key, value = line.split('=', 1)
            values[key.strip().removeprefix('export ').strip()] = value.strip().strip('"').strip("'")
        return cls(values)

    def __getitem__(self, key: str) -> str:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def get_str(self, key: str, default: str | None = None) -> str | None:
        return self._values.get(key, default)

    def get_int(self, key: str, default: int | None = None) -> int | None:
        value = self._values.get(key)
        if value is None or value.strip() == '':
            return default
        try:
            return int(value)
        except ValueError:
            from synapse_sdk.plugins.errors import PluginConfigError

            raise PluginConfigError(f'environment variable {key} must be an integer, got {value!r}') from None

    def get_bool(self, key: str, default: bool = False) -> bool:
        value = self._values.get(key)
        if value is None:
            return default
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        return default

    def to_dict(self) -> dict[str, str]:
        return dict(self._values)

    def __repr__(self) -> str:  # values may be secrets: show keys only
        return f'PluginEnvironment(keys={sorted(self._values)})'


class ActionLogger:
    """A ``logging.Logger``-like object whose records become ``log`` events of the run."""

    def __init__(self, context: RuntimeContext) -> None:
        self._context = context

    def _log(self, level: LogLevel, message: object, *args: object) -> None:
        text = str(message)
        if args:
            try:
                text = text % args
            except (TypeError, ValueError):
                text = ' '.join([text, *map(str, args)])
        self._context.emit(Event('log', level, {'event': level.value, 'message': text}))

    def debug(self, message: object, *args: object) -> None:
        self._log(LogLevel.DEBUG, message, *args)

    def info(self, message: object, *args: object) -> None:
        self._log(LogLevel.INFO, message, *args)

    def success(self, message: object, *args: object) -> None:
        self._log(LogLevel.SUCCESS, message, *args)

    def warning(self, message: object, *args: object) -> None:
        self._log(LogLevel.WARNING, message, *args)

    warn = warning

    def error(self, message: object, *args: object) -> None:
        self._log(LogLevel.ERROR, message, *args)

    exception = error

    def critical(self, message: object, *args: object) -> None:
        self._log(LogLevel.CRITICAL, message, *args)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class RuntimeContext:
    """Per-run services for an action: ``env``, ``job_id``, ``client``, ``language`` and event reporting.

    Reporting never raises: a bad progress or metrics value becomes a warning event, because a
    typo in a progress call must not crash a ten-hour training loop.
    """

    def __init__(
        self,
        *,
        events: EventBus | EventSink | None = None,
        env: PluginEnvironment | Mapping[str, Any] | None = None,
        job_id: str | None = None,
        client: BackendProtocol | None = None,
        language: str | None = None,
        action_name: str | None = None,
        models: Any = None,
        model_id: str | None = None,
    ) -> None:
        if isinstance(events, EventBus):
            self.events = events
        else:
            self.events = EventBus([events] if events is not None else [], job_id=job_id)
        if self.events.job_id is None:
            self.events.job_id = job_id
        self.env = env if isinstance(env, PluginEnvironment) else PluginEnvironment(env)
        self.job_id = job_id
        self.language = resolve_language(language)
        self.action_name = action_name
        self._models = models
        self.model_id = model_id
        self._client: BackendProtocol | None = client
        self._client_resolved = client is not None
        self.logger = ActionLogger(self)
        self.progress: dict[str, dict[str, float]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}

    @property
    def client(self) -> BackendProtocol | None:
        """The backend client: the one given, else the SDK default (platform or embedded local backend)."""
        if not self._client_resolved:
            self._client_resolved = True
            from synapse_sdk.clients._factory import default_client  # core is always there; imported when used

            self._client = default_client(self.env)
        return self._client

    @client.setter
    def client(self, value: BackendProtocol | None) -> None:
        self._client = value
        self._client_resolved = True

    @property
    def models(self) -> Any:
        """Loaded models (a :class:`synapse_sdk.plugins._models.ModelCache`): a served action's
        replica-wide LRU, or a cache that lives as long as this run."""
        if self._models is None:
            from synapse_sdk.plugins._models import ModelCache

            self._models = ModelCache(capacity=None)
        return self._models

    def emit(self, event: Event) -> None:
        self.events.emit(event)

    def log(self, event: str, data: Mapping[str, Any] | None = None, level: LogLevel | str = LogLevel.INFO) -> None:
        payload = dict(data) if isinstance(data, Mapping) else ({} if data is None else {'value': data})
        self.emit(Event('log', LogLevel.coerce(level), {'event': event, **payload}))

    def log_message(
        self,
        message: LogMessageCode | LocalizedMessage | Mapping[str, str] | str,
        /,
        level: LogLevel | str | None = None,
        **params: Any,
    ) -> None:
        """Emit a message; it is rendered in each sink's language. ``context=`` is the v1 name of ``level``."""
        if level is None and isinstance(params.get('context'), str):
            level = params.pop('context')
        if isinstance(message, LogMessageCode):
            event = Event('message', LogLevel.coerce(level, message.level), code=message.value, params=params)
        elif isinstance(message, LocalizedMessage):
            event = Event('message', LogLevel.coerce(level), translations=message.to_dict(), params=params)
        elif isinstance(message, Mapping):
            event = Event(
                'message', LogLevel.coerce(level), translations=LocalizedMessage(message).to_dict(), params=params
            )
        else:
            event = Event('message', LogLevel.coerce(level), translations={'en': str(message)}, params=params)
        self.emit(event)

    def set_progress(self, current: float, total: float, category: str | None = None) -> None:
        name = str(category) if category is not None else 'default'
        if not (_is_number(current) and _is_number(total)) or total <= 0 or current < 0 or current > total:
            self.log_message(LogMessageCode.PROGRESS_INVALID, current=current, total=total, category=name)
            return
        percent = round(current / total * 100, 2)
        self.progress[name] = {'current': current, 'total': total, 'percent': percent}
        self.emit(
            Event('progress', LogLevel.INFO, {'category': name, 'current': current, 'total': total, 'percent': percent})
        )

    def set_metrics(self, value: Mapping[str, Any], category: str | None = None) -> None:
        name = str(category) if category is not None else 'default'
        if not isinstance(value, Mapping):
            self.log_message(
                LogMessageCode.METRICS_INVALID, category=name, reason=f'expected a dict, got {type(value).__name__}'
            )
            return
        bad = [str(k) for k, v in value.items() if not isinstance(k, str) or not _is_metric_value(v)]
        if bad:
            self.log_message(LogMessageCode.METRICS_INVALID, category=name, reason=f'bad values for {", ".join(bad)}')
            return
        merged = self.metrics.setdefault(name, {})
        merged.update(value)
        self.emit(Event('metrics', LogLevel.INFO, {'category': name, 'values': dict(value)}))


def _is_metric_value(value: object) -> bool:
    if _is_number(value) or isinstance(value, (str, bool)) or value is None:
        return True
    if isinstance(value, (list, tuple)):
        return all(_is_metric_value(v) for v in value)
    if isinstance(value, Mapping):
        return all(isinstance(k, str) and _is_metric_value(v) for k, v in value.items())
    return False
