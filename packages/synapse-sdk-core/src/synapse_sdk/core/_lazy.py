"""The one guard for importing another distribution of the ``synapse_sdk`` namespace.

Layers point down (cli > ray > plugins > {storage, converters} > core). Where a lower layer needs
an optional higher one, or a part needs a sibling that may not be installed, it imports it by
name through :func:`import_optional`, so a missing distribution always gives the same message
with the exact install command, and ``tests/workspace/test_layering.py`` can tell a guarded edge
from a hidden one.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from synapse_sdk.core.errors import MissingDependencyError

# Import path of each portion -> (distribution, the meta-package extra that installs it).
PORTIONS: dict[str, tuple[str, str]] = {
    'synapse_sdk.core': ('synapse-sdk-core', ''),
    'synapse_sdk.i18n': ('synapse-sdk-core', ''),
    'synapse_sdk.clients': ('synapse-sdk-core', ''),
    'synapse_sdk.utils.file': ('synapse-sdk-core', ''),
    'synapse_sdk.plugins': ('synapse-sdk-plugins', ''),
    'synapse_sdk.utils.storage': ('synapse-sdk-storage', ''),
    'synapse_sdk.utils.converters': ('synapse-sdk-converters', ''),
    'synapse_sdk.ray': ('synapse-sdk-ray', 'ray'),
    'synapse_sdk.cli': ('synapse-sdk-cli', ''),
}


def portion_of(module: str) -> str | None:
    """``'synapse_sdk.ray._task'`` -> ``'synapse_sdk.ray'``; None outside the SDK."""
    best = None
    for portion in PORTIONS:
        if (module == portion or module.startswith(portion + '.')) and (best is None or len(portion) > len(best)):
            best = portion
    return best


def install_command(extra: str) -> str:
    """The exact command that installs the distribution behind an extra of the meta-package."""
    return f'pip install "synapse-sdk[{extra}]"'


def _install_hint(portion: str) -> str:
    distribution, extra = PORTIONS[portion]
    if extra:
        return install_command(extra)
    return f'pip install {distribution} (or pip install synapse-sdk)'


def missing_distribution(error: ModuleNotFoundError, owner: str, extra: str | None = None) -> ImportError:
    """Turn ``error`` into an install hint when it means ``owner`` itself is not installed.

    A ``ModuleNotFoundError`` raised *inside* an installed owner (a bug or a missing third-party
    library) is returned unchanged so the real cause stays visible.
    """
    missing = error.name or ''
    if missing and (owner == missing or owner.startswith(missing + '.')):
        portion = portion_of(owner)
        hint = install_command(extra) if extra else _install_hint(portion) if portion else install_command('all')
        distribution = PORTIONS[portion][0] if portion else owner
        return MissingDependencyError(
            f'{distribution} is not installed ({owner} is needed here). Install it with: {hint}',
            details={'module': owner, 'distribution': distribution},
        )
    return error


def import_optional(module: str) -> ModuleType:
    """Import ``module`` of another SDK distribution, or raise the install hint if it is missing."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as error:
        raise missing_distribution(error, module) from error
