"""Where the SDK finds the platform host, access token and tenant.

Precedence: explicit arguments, then ``SYNAPSE_HOST`` / ``SYNAPSE_ACCESS_TOKEN`` /
``SYNAPSE_TENANT``, then ``~/.synapse/config.json`` (``SYNAPSE_HOME`` moves the folder). The
folder is 700 and the file 600 (wider modes are tightened when they are read).
Tokens never appear in ``repr``, ``str`` or errors.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.core._atomic import atomic_write
from synapse_sdk.core._parsing import load_json
from synapse_sdk.core._private import PRIVATE_DIR, PRIVATE_FILE, private_dir, tighten
from synapse_sdk.core.errors import CredentialsError, ParseError

ENV_HOST = 'SYNAPSE_HOST'
ENV_TOKEN = 'SYNAPSE_ACCESS_TOKEN'
ENV_TENANT = 'SYNAPSE_TENANT'
ENV_HOME = 'SYNAPSE_HOME'
CONFIG_FILE_NAME = 'config.json'


def synapse_home(environ: Mapping[str, str] | None = None) -> Path:
    """The SDK's own folder: ``SYNAPSE_HOME`` or ``~/.synapse``."""
    env = os.environ if environ is None else environ
    return Path(env.get(ENV_HOME) or Path.home() / '.synapse').expanduser()


def config_path(environ: Mapping[str, str] | None = None) -> Path:
    return synapse_home(environ) / CONFIG_FILE_NAME


def redact(secret: str | None) -> str:
    """What to show instead of a secret: whether it is set, never any part of it."""
    return '<set>' if secret else '<not set>'


@dataclass(frozen=True)
class Credentials:
    """Platform connection settings. ``access_token`` is kept out of ``repr``."""

    host: str | None = None
    access_token: str | None = field(default=None, repr=False)
    tenant: str | None = None

    @property
    def is_complete(self) -> bool:
        return bool(self.host and self.access_token)

    def __repr__(self) -> str:
        from synapse_sdk.core._secrets import redact_url

        host = redact_url(self.host) if self.host else self.host
        return f'Credentials(host={host!r}, access_token={redact(self.access_token)}, tenant={self.tenant!r})'

    __str__ = __repr__

    def to_dict(self) -> dict[str, str]:
        return {
            k: v for k, v in (('host', self.host), ('access_token', self.access_token), ('tenant', self.tenant)) if v
        }


_FIELDS = ('host', 'access_token', 'tenant')


def _read_file(path: Path) -> dict[str, Any]:
    """The stored settings; a folder, bad JSON, bad encoding or non-string values are one clear error."""
    if not path.exists() and not path.is_symlink():
        return {}
    try:
        data = load_json(path) if path.stat().st_size else {}
    except OSError as error:
        raise CredentialsError(f'{path} cannot be read: {error.strerror}', details={'path': str(path)}) from None
    except ParseError as error:
        raise CredentialsError(
            f'{error.message}; fix it or delete it and run `synapse login` again',
            details={'path': str(path), 'line': error.line},
        ) from None
    if not isinstance(data, dict):
        raise CredentialsError(f'{path} must hold a JSON object', details={'path': str(path)})
    for key in _FIELDS:
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise CredentialsError(
                f'{path}: {key!r} must be a string, not {type(value).__name__}; fix it or run `synapse login` again',
                details={'path': str(path), 'key': key},
            )
    return data


def load_credentials(
    *,
    host: str | None = None,
    access_token: str | None = None,
    tenant: str | None = None,
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Merge explicit values, environment and config file (in that order of precedence)."""
    env = os.environ if environ is None else environ
    file = Path(path) if path else config_path(env)
    if not path and file.parent.is_dir():
        tighten(file.parent, PRIVATE_DIR)  # SYNAPSE_HOME made by an older version, or by hand
    if file.is_file():
        tighten(file, PRIVATE_FILE)
    stored = _read_file(file)
    return Credentials(
        host=host or env.get(ENV_HOST) or stored.get('host'),
        access_token=access_token or env.get(ENV_TOKEN) or stored.get('access_token'),
        tenant=tenant or env.get(ENV_TENANT) or stored.get('tenant'),
    )


def save_credentials(
    credentials: Credentials,
    *,
    path: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Path:
    """Merge ``credentials`` into the config file, written atomically with mode 600."""
    target = Path(path) if path else config_path(environ)
    data = _read_file(target)
    data.update(credentials.to_dict())
    if path:
        target.parent.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    else:
        private_dir(target.parent)
    with atomic_write(target, mode=PRIVATE_FILE) as handle:
        json.dump(data, handle, indent=2)
    return target
