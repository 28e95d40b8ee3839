"""Install hints for optional distributions that share the ``synapse_sdk`` namespace."""

from __future__ import annotations

from synapse_sdk.core.errors import MissingDependencyError


def install_command(extra: str) -> str:
    """The exact command that installs the distribution behind an extra of the meta-package."""
    return f'pip install "synapse-sdk[{extra}]"'


def missing_distribution(error: ModuleNotFoundError, owner: str, extra: str) -> ImportError:
    """Turn ``error`` into an install hint when it means ``owner`` itself is not installed.

    A ``ModuleNotFoundError`` raised *inside* an installed owner (a bug or a missing third-party
    library) is returned unchanged so the real cause stays visible.
    """
    missing = error.name or ''
    if missing and (owner == missing or owner.startswith(missing + '.')):
        return MissingDependencyError(
            f'{owner} is not installed. Install it with: {install_command(extra)}',
            details={'module': owner, 'extra': extra},
        )
    return error
