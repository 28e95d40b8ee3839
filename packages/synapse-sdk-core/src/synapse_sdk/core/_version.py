"""The SDK version, read from the installed distribution metadata."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def sdk_version() -> str:
    try:
        return version('synapse-sdk-core')
    except PackageNotFoundError:  # running from a source tree without installation
        return '0+unknown'
