"""Caps on a log tail, so a runaway job cannot flood the caller's memory or terminal."""

from __future__ import annotations

import re
from dataclasses import dataclass

from synapse_sdk.core.errors import ClientError, ConfigError

PROTOCOLS = ('websocket', 'http', 'auto')
_RESOURCE_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.:-]{0,255}$')


@dataclass
class StreamLimits:
    """``max_lines``/``max_bytes``/``max_messages``: going over raises ``ClientError`` (status 429).

    A single message longer than ``max_message_size`` bytes is skipped (counted, not yielded).
    """

    max_messages: int = 100_000
    max_message_size: int = 1_000_000
    max_lines: int = 100_000
    max_bytes: int = 50_000_000

    def __post_init__(self) -> None:
        for name in ('max_messages', 'max_message_size', 'max_lines', 'max_bytes'):
            if int(getattr(self, name)) <= 0:
                raise ConfigError(f'StreamLimits.{name} must be a positive number')


class LimitTracker:
    """Counts what a tail has yielded and enforces :class:`StreamLimits`."""

    def __init__(self, limits: StreamLimits) -> None:
        self.limits = limits
        self.messages = 0
        self.lines = 0
        self.bytes = 0
        self.skipped = 0

    def admit(self, message: str) -> bool:
        """True to yield ``message``; False to skip it; raises when a cap is exceeded."""
        size = len(message.encode('utf-8'))
        self.messages += 1
        if self.messages > self.limits.max_messages:
            raise ClientError(f'log tail stopped: more than {self.limits.max_messages} messages', status=429)
        if size > self.limits.max_message_size:
            self.skipped += 1
            return False
        self.lines += message.count('\n') + 1
        self.bytes += size
        if self.lines > self.limits.max_lines:
            raise ClientError(f'log tail stopped: more than {self.limits.max_lines} lines', status=429)
        if self.bytes > self.limits.max_bytes:
            raise ClientError(f'log tail stopped: more than {self.limits.max_bytes} bytes', status=429)
        return True


def validate_resource_id(value: str, what: str = 'job id') -> str:
    """A Ray job/submission/node/task id: letters, digits, ``_.:-``; never ``/``, ``%`` or ``..``.

    The client and the agent server both check it before an id becomes part of a URL path, so
    an id can never walk to another path of the agent or the Ray dashboard.
    """
    if not isinstance(value, str) or not _RESOURCE_ID.fullmatch(value) or '..' in value:
        raise ClientError(f'invalid {what}: {value!r}', status=400)
    return value


def validate_timeout(value: float | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, (int, float)) or value <= 0 or value > 86_400:
        raise ClientError(f'invalid timeout {value!r}: use a number of seconds between 0 and 86400', status=400)
    return float(value)


def validate_protocol(value: str) -> str:
    if value not in PROTOCOLS:
        raise ClientError(f'invalid protocol {value!r}: use one of {", ".join(PROTOCOLS)}', status=400)
    return value
