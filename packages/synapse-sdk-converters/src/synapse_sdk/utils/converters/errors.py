"""Typed errors of the converters: each names the file (and line or key) that caused it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_sdk.core.errors import SynapseError


class ConverterError(SynapseError, ValueError):
    """Base of every converter error; ``file`` and ``line`` say where, when known."""

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        line: int | None = None,
        key: str | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        where = ''
        if file is not None:
            where = str(file)
            if line is not None:
                where += f':{line}'
            if key:
                where += f' [{key}]'
            where += ': '
        info = dict(details or {})
        info.update({'file': None if file is None else str(file), 'line': line, 'key': key})
        super().__init__(where + message, details=info)
        self.file = None if file is None else str(file)
        self.line = line
        self.key = key
        self.reason = message

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild through __init__: OSError-derived subclasses cannot be made with bare __new__.
        return (_rebuild, (type(self), self.reason, self.file, self.line, self.key, self.details))


def _rebuild(
    cls: type[ConverterError], reason: str, file: str | None, line: int | None, key: str | None, details: dict[str, Any]
) -> ConverterError:
    return cls(reason, file=file, line=line, key=key, details=details)


class UnsupportedFormatError(ConverterError):
    """A format name or a source/target pair is not supported."""


class DatasetFormatError(ConverterError):
    """An input file is malformed: bad JSON or XML, a bad label line, a missing key."""


class DatasetLayoutError(ConverterError, FileNotFoundError):
    """A folder or file the dataset layout requires is missing."""


class UnsafePathError(ConverterError):
    """A file name inside the dataset tries to leave the dataset folder."""


class StrictModeError(ConverterError):
    """``strict=True`` and an item or annotation would have been skipped or changed."""


class OutputExistsError(ConverterError, FileExistsError):
    """The output folder exists and is not empty; pass ``overwrite=True`` to replace it."""


class UnsafeOutputError(ConverterError):
    """The output folder is the source, inside it, or holds it: writing it would destroy the source."""


class OutputBusyError(ConverterError, FileExistsError):
    """Another conversion is writing the same output folder right now."""


class NothingConvertedError(ConverterError, LookupError):
    """The conversion would write no item (nothing found, or every image skipped); says where it looked."""
