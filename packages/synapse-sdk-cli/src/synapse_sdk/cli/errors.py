"""Turn SDK errors into one clear line and a non-zero exit, instead of a traceback."""

from __future__ import annotations

import functools
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer

F = TypeVar('F', bound=Callable[..., Any])


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``message`` as an error on stderr; return the Exit to raise."""
    typer.secho(f'Error: {message}', fg=typer.colors.RED, err=True)
    return typer.Exit(code)


def user_errors(fn: F) -> F:
    """Report expected failures (bad input, missing files, action errors) without a traceback."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from synapse_sdk.core.errors import SynapseError

        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except SynapseError as error:
            original = getattr(error, 'original', None)
            remote = str(getattr(original, 'remote_traceback', '') or '')
            if remote:
                # The action raised on a Ray worker: its frames travelled back with the error.
                sys.stderr.write(remote if remote.endswith('\n') else remote + '\n')
            elif original is not None and original.__traceback__ is not None:
                # The action itself raised: its own frames are what the plugin author needs.
                frames = traceback.format_exception(type(original), original, original.__traceback__)
                sys.stderr.write(''.join(frames))
            raise fail(error.message) from None
        except FileNotFoundError as error:
            raise fail(str(error)) from None

    return wrapper  # type: ignore[return-value]
