"""SFTP servers (``sftp``) on sshfs/asyncssh.

sshfs caches connections per instance and keeps a dead one forever; this provider owns its
connection, drops it on a connection failure and connects again within the retry budget.

The server's host key is always verified before any credential is sent: against ``host_key``
when given, else against ``known_hosts`` (default ``~/.ssh/known_hosts``). Skipping the check is
the explicit ``trust_unknown_host: true``, logged as a warning.
"""

from __future__ import annotations

import contextlib
import logging
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field, SecretStr, field_validator

from synapse_sdk.core._atomic import temp_name
from synapse_sdk.utils.storage._base import FsspecStorage, ProviderConfig
from synapse_sdk.utils.storage._keys import KeyLike
from synapse_sdk.utils.storage.errors import HostKeyVerificationError, StorageError, StoragePermissionError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

logger = logging.getLogger(__name__)
DEFAULT_KNOWN_HOSTS = '~/.ssh/known_hosts'
_KEY_TYPES = ('ssh-', 'ecdsa-', 'sk-')

_CONNECTION_ERRORS = (
    'ConnectionLost',
    'SFTPConnectionLost',
    'DisconnectError',
    'ChannelOpenError',
    'SFTPNoConnection',
    'BrokenPipeError',
    'ConnectionResetError',
    'ConnectionRefusedError',
    'ConnectionAbortedError',
    'TimeoutError',
)


class SFTPConfig(ProviderConfig):
    key_aliases = (('user', 'username'), ('hostname', 'host'), ('key_filename', 'private_key'))
    model_config = {'extra': 'ignore', 'frozen': True}

    host: str = Field(min_length=1)
    port: int = 22
    username: str = Field(min_length=1)
    password: SecretStr | None = None
    private_key: str | None = None
    """Path to a private key file."""
    passphrase: SecretStr | None = None
    root_path: str = '/'
    known_hosts: str | None = None
    """A known_hosts file to verify the server's host key against (default ``~/.ssh/known_hosts``)."""
    host_key: str | None = None
    """The server's public host key, ``ssh-ed25519 AAAA...`` (a line ``ssh-keyscan`` prints works too)."""
    trust_unknown_host: bool = False
    """Connect without verifying the host key (logged as a warning). Anyone on the path gets the password."""
    timeout: float = 30.0

    @field_validator('host_key')
    @classmethod
    def _parse_host_key(cls, value: str | None) -> str | None:
        if value is not None:
            host_keys(value)  # refuse a malformed key at configuration time, not at connect time
        return value


def host_keys(text: str) -> list[Any]:
    """asyncssh keys from ``host_key``: one key a line, each ``TYPE BASE64 [comment]``, host names allowed before."""
    import asyncssh

    keys = []
    for line in text.splitlines():
        words = line.split()
        start = next((i for i, word in enumerate(words) if word.startswith(_KEY_TYPES)), None)
        if start is None or start + 1 >= len(words):
            if words:
                raise ValueError('host_key must be a public key line such as "ssh-ed25519 AAAA..."')
            continue
        try:
            keys.append(asyncssh.import_public_key(' '.join(words[start : start + 2])))
        except (asyncssh.KeyImportError, ValueError):
            raise ValueError('host_key is not a valid public key (use a line of ssh-keyscan output)') from None
    if not keys:
        raise ValueError('host_key is empty: give the server key as "ssh-ed25519 AAAA..."')
    return keys


class SFTPStorage(FsspecStorage):
    """Files under ``root_path`` on an SSH server. Uploads go to a temporary name, then rename."""

    provider = 'sftp'
    config_model = SFTPConfig
    config: SFTPConfig

    def _secret_values(self) -> list[str | None]:
        c = self.config
        return [
            c.password.get_secret_value() if c.password else None,
            c.passphrase.get_secret_value() if c.passphrase else None,
        ]

    def _make_fs(self) -> AbstractFileSystem:
        from sshfs import SSHFileSystem

        c = self.config
        kwargs: dict[str, Any] = {
            'port': c.port,
            'username': c.username,
            'known_hosts': self._known_hosts(),
            'skip_instance_cache': True,
            'timeout': c.timeout,
            'connect_timeout': c.timeout,
        }
        if c.private_key:
            kwargs['client_keys'] = [str(Path(c.private_key).expanduser())]
            if c.passphrase:
                kwargs['passphrase'] = c.passphrase.get_secret_value()
        else:
            kwargs['client_keys'] = []  # do not offer ~/.ssh keys or an agent before the password
            kwargs['agent_path'] = None
        if c.password:
            kwargs['password'] = c.password.get_secret_value()
        try:
            return SSHFileSystem(c.host, **kwargs)
        except Exception as error:
            if _is_host_key_error(error):
                raise self._host_key_error() from None
            raise

    def _known_hosts(self) -> Any:
        """asyncssh's ``known_hosts``: the trusted keys, a file, or None (only when trusting anyone)."""
        c = self.config
        if c.trust_unknown_host:
            logger.warning('sftp: trust_unknown_host is set: the host key of %s:%d is NOT verified', c.host, c.port)
            return None
        if c.host_key:
            return (host_keys(c.host_key), [], [])
        path = Path(c.known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()
        return str(path) if path.is_file() else b''  # no file: nothing is trusted

    def _host_key_error(self) -> HostKeyVerificationError:
        c = self.config
        if c.host_key:
            why = 'it is not the configured host_key'
        else:
            path = Path(c.known_hosts or DEFAULT_KNOWN_HOSTS).expanduser()
            why = f'not in {path}' if path.is_file() else f'no known_hosts file at {path}'
        return HostKeyVerificationError(
            f'sftp: the host key of {c.host}:{c.port} is not trusted ({why}); no credential was sent. '
            f'Add it with `ssh-keyscan -p {c.port} {c.host} >> ~/.ssh/known_hosts` (check the fingerprint) '
            'or set the host_key option',
            details={'provider': self.provider, 'host': c.host, 'port': c.port},
        )

    def _root(self) -> str:
        return posixpath.normpath('/' + self.config.root_path.strip('/'))

    def uri(self, key: KeyLike = '') -> str:
        c = self.config
        return f'sftp://{quote(c.username)}@{c.host}:{c.port}{quote(self.path(key))}'

    def _upath_protocol(self) -> str:
        return 'sftp'

    def _is_transient(self, error: BaseException) -> bool:
        names = {cls.__name__ for cls in type(error).__mro__}
        if (
            'PermissionDenied' in names or 'HostKeyNotVerifiable' in names
        ):  # wrong password or key: asking again will not help
            return False
        return bool(names.intersection(_CONNECTION_ERRORS)) or 'connection lost' in str(error).lower()

    def _translate(self, error: BaseException, operation: str, key: str) -> StorageError:
        if _is_host_key_error(error):
            return self._host_key_error()
        if type(error).__name__ == 'PermissionDenied':
            return StoragePermissionError(
                f'sftp {operation} failed: the server refused the login of {self.config.username!r} '
                '(check the password or private_key in the storage configuration)',
                details={'provider': self.provider, 'operation': operation, 'key': key},
            )
        return super()._translate(error, operation, key)

    def _after_transient_failure(self, error: BaseException) -> None:
        self._reset_connection()

    def _put_file(self, source: Path, path: str) -> None:
        directory, name = posixpath.split(path)
        tmp = posixpath.join(directory, temp_name(name))
        fs = self.fs
        fs.makedirs(directory, exist_ok=True)
        try:
            fs.put_file(str(source), tmp)
            fs.mv(tmp, path)  # posix-rename: replaces an existing file in one step
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm_file(tmp)
            raise

    def _pipe(self, path: str, data: bytes) -> None:
        fs = self.fs
        fs.makedirs(posixpath.dirname(path), exist_ok=True)
        directory, name = posixpath.split(path)
        tmp = posixpath.join(directory, temp_name(name))
        try:
            fs.pipe_file(tmp, data)
            fs.mv(tmp, path)
        except BaseException:
            with contextlib.suppress(Exception):
                fs.rm_file(tmp)
            raise

    def _exists(self, path: str) -> bool:
        return bool(self.fs.exists(path))


def _is_host_key_error(error: BaseException) -> bool:
    return any(cls.__name__ == 'HostKeyNotVerifiable' for cls in type(error).__mro__)
