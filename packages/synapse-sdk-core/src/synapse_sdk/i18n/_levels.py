"""Log levels as the platform knows them (``success`` and ``danger`` included)."""

from __future__ import annotations

import logging
from enum import Enum


class LogLevel(str, Enum):
    DEBUG = 'debug'
    INFO = 'info'
    SUCCESS = 'success'
    WARNING = 'warning'
    DANGER = 'danger'
    ERROR = 'error'
    CRITICAL = 'critical'

    def __str__(self) -> str:
        return self.value

    @property
    def stdlib_level(self) -> int:
        return _STDLIB[self]

    @classmethod
    def coerce(cls, value: LogLevel | str | None, default: LogLevel | None = None) -> LogLevel:
        """Accept an enum, its value or a stdlib name (``'warn'``); unknown values give ``default``/INFO."""
        if isinstance(value, LogLevel):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            text = {'warn': 'warning', 'fatal': 'critical'}.get(text, text)
            for member in cls:
                if member.value == text:
                    return member
        return default or cls.INFO


_STDLIB = {
    LogLevel.DEBUG: logging.DEBUG,
    LogLevel.INFO: logging.INFO,
    LogLevel.SUCCESS: logging.INFO,
    LogLevel.WARNING: logging.WARNING,
    LogLevel.DANGER: logging.ERROR,
    LogLevel.ERROR: logging.ERROR,
    LogLevel.CRITICAL: logging.CRITICAL,
}
