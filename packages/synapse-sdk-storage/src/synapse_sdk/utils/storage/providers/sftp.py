"""SFTP servers (``sftp``) on sshfs/asyncssh.

sshfs caches connections per instance and keeps a dead one forever; this provider owns its
connection, drops it on a connection failure and connects again within the retry budget.
"""

from __future__ import annotations

import contextlib
import posixpath
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from pydantic import Field, SecretStr

from synapse_sdk.core.atomic import temp_name
from synapse_sdk.utils.storage.base import FsspecStorage, ProviderConfig
from synapse_sdk.utils.storage.errors import StorageError, StoragePermissionError
from synapse_sdk.utils.storage.keys import KeyLike

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

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
    """A known_hosts file to verify the server key against; unset skips host key checks."""
    timeout: float = 30.0


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
            'known_hosts': c.known_hosts,
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
        return SSHFileSystem(c.host, **kwargs)

    def _root(self) -> str:
        return posixpath.normpath('/' + self.config.root_path.strip('/'))

    def uri(self, key: KeyLike = '') -> str:
        c = self.config
        return f'sftp://{quote(c.username)}@{c.host}:{c.port}{quote(self.path(key))}'

    def _upath_protocol(self) -> str:
        return 'sftp'

    def _is_transient(self, error: BaseException) -> bool:
        names = {cls.__name__ for cls in type(error).__mro__}
        if 'PermissionDenied' in names:  # wrong password or key: asking again will not help
            return False
        return bool(names.intersection(_CONNECTION_ERRORS)) or 'connection lost' in str(error).lower()

    def _translate(self, error: BaseException, operation: str, key: str) -> StorageError:
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
