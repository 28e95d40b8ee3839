"""The ``synapse`` command.

``app`` is the Typer application (embed it, or test it with ``typer.testing.CliRunner``) and
``main`` the console script; both load on first use, so importing this package imports no Typer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ['app', 'main']


def __getattr__(name: str) -> Any:
    if name in __all__:
        from synapse_sdk.cli import _main

        value = getattr(_main, name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


if TYPE_CHECKING:
    from synapse_sdk.cli._main import app, main
