"""Errors raised while loading, validating and running plugin actions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from synapse_sdk.core.errors import ClientError, ConfigError, NotFoundError, ParseError, SynapseError

if TYPE_CHECKING:
    from synapse_sdk.plugins.actions._steps import RollbackFailure


class PluginError(SynapseError):
    """Base of plugin errors."""


class PluginConfigError(PluginError, ConfigError):
    """``config.yaml`` is missing, unreadable or invalid; the message names the file and key."""


class PluginConfigParseError(PluginConfigError, ParseError):
    """``config.yaml`` could not be parsed within the bounds (syntax, encoding, size, depth, aliases)."""


class ActionNotFoundError(PluginError, NotFoundError):
    """No action of that name; the message lists the available ones."""

    def __init__(self, action: str, available: Sequence[str], *, where: str = '') -> None:
        names = ', '.join(available) or '(none)'
        origin = f' in {where}' if where else ''
        super().__init__(
            f'Action {action!r} not found{origin}. Available actions: {names}',
            details={'action': action, 'available': list(available)},
        )
        self.action = action
        self.available = list(available)


class ParamsValidationError(PluginError, ValueError):
    """Params do not match the action's model; ``errors`` lists every bad field."""

    def __init__(self, action: str, errors: Sequence[Mapping[str, Any]]) -> None:
        lines = [f'  - {".".join(str(p) for p in e.get("loc", ())) or "(params)"}: {e.get("msg", "")}' for e in errors]
        super().__init__(
            f'Invalid params for action {action!r}:\n' + '\n'.join(lines),
            details={'action': action, 'errors': [dict(e) for e in errors]},
        )
        self.action = action
        self.errors = [dict(e) for e in errors]


class EntrypointError(PluginError, ImportError):
    """An entrypoint (``pkg.mod.Class`` or ``pkg.mod:Class``) could not be loaded."""


class ExecutionError(PluginError, RuntimeError):
    """The action raised; the original exception is ``__cause__`` (and ``original``)."""

    def __init__(
        self, message: str, *, original: BaseException | None = None, details: Mapping[str, Any] | None = None
    ):
        super().__init__(message, details=details)
        self.original = original


class RemoteError(SynapseError, RuntimeError):
    """An exception raised in another process (a Ray worker, a served replica) whose class cannot be rebuilt here.

    ``remote_type`` is the qualified class name, ``remote_traceback`` the worker's traceback.
    """

    def __init__(
        self,
        message: str,
        *,
        remote_type: str,
        remote_traceback: str = '',
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details={'remote_type': remote_type, **(details or {})})
        self.remote_type = remote_type
        self.remote_traceback = remote_traceback

    def __str__(self) -> str:
        head = f'{self.remote_type}: {self.message}'
        return f'{head}\n\nRemote traceback:\n{self.remote_traceback}' if self.remote_traceback else head


class ServeError(PluginError):
    """Base of errors a served action's handle raises; ``status`` is the HTTP status (``None``: no answer)."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_type: str | None = None,
        url: str | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, details={'status': status, 'error_type': error_type, 'url': url, **(details or {})})
        self.status = status
        self.error_type = error_type
        self.url = url


class ServeRequestError(ServeError, ValueError):
    """The server refused the request (400: not a JSON object, 422: bad params); ``errors`` lists every bad field."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        errors: Sequence[Mapping[str, Any]] = (),
        error_type: str | None = None,
        url: str | None = None,
    ) -> None:
        super().__init__(message, status=status, error_type=error_type, url=url, details={'errors': list(errors)})
        self.errors = [dict(e) for e in errors]


class ServeActionError(ServeError, RuntimeError):
    """The served action failed (500); ``error_type`` is the class of the action's exception."""


class ServeUnavailableError(ServeError, ClientError):
    """No answer from the served action (not running, deleted, or unreachable)."""


class PluginUploadError(PluginError, OSError):
    """Archiving, building or uploading a plugin failed."""


class BuildError(PluginUploadError):
    """Building the plugin's wheel failed; ``details`` holds the tool's output."""


class RollbackError(PluginError, RuntimeError):
    """Some of a step's recorded work could not be undone; ``failures`` lists each error."""

    def __init__(self, failures: list[RollbackFailure]) -> None:
        super().__init__('; '.join(str(f) for f in failures), details={'steps': [f.step for f in failures]})
        self.failures = failures
