"""What a running action reports (logs, messages, progress, metrics) and where it goes.

Events are plain, JSON-able records: messages keep their code and parameters and are rendered in
a language only by the sink that shows them, so a Korean console and an English log file can
watch the same run. Remote executors ship ``Event.to_dict()`` and rebuild with ``from_dict``.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol, runtime_checkable

from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode, render, resolve_language

EVENT_KINDS = ('log', 'message', 'progress', 'metrics', 'run_started', 'run_finished')


@dataclass
class Event:
    kind: str
    level: LogLevel = LogLevel.INFO
    data: dict[str, Any] = field(default_factory=dict)
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    translations: dict[str, str] | None = None
    timestamp: float = field(default_factory=time.time)
    job_id: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            'kind': self.kind,
            'level': self.level.value,
            'data': self.data,
            'code': self.code,
            'params': self.params,
            'translations': self.translations,
            'timestamp': self.timestamp,
            'job_id': self.job_id,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Event:
        return cls(
            kind=str(raw['kind']),
            level=LogLevel.coerce(raw.get('level')),
            data=dict(raw.get('data') or {}),
            code=raw.get('code'),
            params=dict(raw.get('params') or {}),
            translations=raw.get('translations'),
            timestamp=float(raw.get('timestamp') or time.time()),
            job_id=raw.get('job_id'),
        )

    def render(self, language: str | None = None) -> str:
        """Human text for this event in ``language`` (never raises)."""
        lang = resolve_language(language)
        if self.code is not None and self.code in LogMessageCode._value2member_map_:
            return render(LogMessageCode(self.code), lang, **self.params)
        if self.translations:
            return LocalizedMessage(self.translations).format(lang, **self.params)
        if self.kind == 'progress':
            d = self.data
            return (
                f'[{d.get("category") or "progress"}] {d.get("percent", 0):.1f}% ({d.get("current")}/{d.get("total")})'
            )
        if self.kind == 'metrics':
            values = ', '.join(f'{k}={v}' for k, v in (self.data.get('values') or {}).items())
            return f'[{self.data.get("category")}] {values}'
        if self.kind == 'log':
            name = self.data.get('event', 'log')
            rest = {k: v for k, v in self.data.items() if k != 'event'}
            if set(rest) == {'message'}:
                return str(rest['message'])
            return f'{name} {json.dumps(rest, ensure_ascii=False, default=str)}' if rest else str(name)
        return self.code or self.kind


@runtime_checkable
class EventSink(Protocol):
    """Anything that receives events: console, file, backend, a Ray queue..."""

    def emit(self, event: Event) -> None: ...

    def close(self) -> None: ...


class MemorySink:
    """Keeps events in a list (tests, and executors that ship events back to the caller)."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def emit(self, event: Event) -> None:
        self.events.append(event)

    def close(self) -> None:
        pass

    def rendered(self, language: str | None = None) -> list[str]:
        return [e.render(language) for e in self.events]


class CallbackSink:
    """Calls ``callback(event)`` for each event."""

    def __init__(self, callback: Callable[[Event], None]) -> None:
        self.callback = callback

    def emit(self, event: Event) -> None:
        self.callback(event)

    def close(self) -> None:
        pass


class JsonlSink:
    """Appends one JSON object per event to a file (code + params, plus the text in ``language``)."""

    def __init__(self, path: str | os.PathLike[str], *, language: str | None = None) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.language = resolve_language(language)
        self._handle: IO[str] | None = open(self.path, 'a', encoding='utf-8')
        self._lock = threading.Lock()
        self._seq = 0

    def emit(self, event: Event) -> None:
        record = {**event.to_dict(), 'text': event.render(self.language)}
        with self._lock:
            if self._handle is not None:
                self._seq += 1  # lets a reader that only fetches the file's tail tell what it already has
                record['seq'] = self._seq
                self._handle.write(json.dumps(record, ensure_ascii=False, default=str) + '\n')
                self._handle.flush()

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None


_LEVEL_STYLE = {
    LogLevel.DEBUG: 'dim',
    LogLevel.INFO: '',
    LogLevel.SUCCESS: 'green',
    LogLevel.WARNING: 'yellow',
    LogLevel.DANGER: 'red',
    LogLevel.ERROR: 'red',
    LogLevel.CRITICAL: 'bold red',
}


class ConsoleSink:
    """Prints events to a terminal with rich, in the run's language. Progress lines are throttled."""

    def __init__(
        self, language: str | None = None, *, stream: IO[str] | None = None, min_level: LogLevel = LogLevel.INFO
    ):
        self.language = resolve_language(language)
        self.stream = stream if stream is not None else sys.stderr
        self.min_level = min_level
        self._console: Any = None
        self._throttle = ProgressThrottle()

    def _get_console(self) -> Any:
        if self._console is None:
            from rich.console import Console  # imported on first output: keeps `import synapse_sdk.plugins` light

            self._console = Console(file=self.stream, highlight=False, soft_wrap=True)
        return self._console

    def emit(self, event: Event) -> None:
        if event.level.stdlib_level < self.min_level.stdlib_level:
            return
        if not self._throttle.due(event):
            return
        from rich.markup import escape

        style = _LEVEL_STYLE.get(event.level, '')
        label = event.level.value.upper()
        text = escape(event.render(self.language))
        line = f'[{style}]{label:<8}[/{style}] {text}' if style else f'{label:<8} {text}'
        self._get_console().print(line)

    def close(self) -> None:
        pass


class ProgressThrottle:
    """Lets a progress event through at most every ``interval`` seconds per category (and always the last)."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}

    def due(self, event: Event) -> bool:
        if event.kind != 'progress':
            return True
        key = str(event.data.get('category'))
        now = time.monotonic()
        done = event.data.get('current') == event.data.get('total')
        if not done and now - self._last.get(key, 0.0) < self.interval:
            return False
        self._last[key] = now
        return True


class EventBus:
    """Fans each event out to every sink; a failing sink never breaks the run."""

    def __init__(self, sinks: Iterable[EventSink] = (), *, job_id: str | None = None) -> None:
        self.sinks: list[EventSink] = list(sinks)
        self.job_id = job_id
        self._lock = threading.Lock()

    def add_sink(self, sink: EventSink) -> None:
        self.sinks.append(sink)

    def emit(self, event: Event) -> None:
        if event.job_id is None:
            event.job_id = self.job_id
        with self._lock:
            for sink in self.sinks:
                try:
                    sink.emit(event)
                except Exception as error:
                    print(f'synapse: event sink {type(sink).__name__} failed: {error!r}', file=sys.stderr)

    def close(self) -> None:
        for sink in self.sinks:
            try:
                sink.close()
            except Exception as error:
                print(f'synapse: closing event sink {type(sink).__name__} failed: {error!r}', file=sys.stderr)
