"""SFTP verifies the server's host key before it sends any credential.

An impostor (a small asyncssh server on loopback with a fresh host key, which would accept any
password) records every authentication attempt: without a matching known host and without the
explicit ``trust_unknown_host`` opt-in it must never see the password. The real sshd works when
its key is given through ``host_key`` or a known_hosts file.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncssh
import pytest

from synapse_sdk.utils.storage import get_storage
from synapse_sdk.utils.storage.errors import HostKeyVerificationError, StorageConfigError, StorageConnectionError

pytestmark = pytest.mark.integration
PASSWORD = 'impostor-must-never-see-this'


@dataclass
class Impostor:
    port: int
    host_key: str
    passwords: list[str] = field(default_factory=list)
    public_keys: list[str] = field(default_factory=list)


class _RecordingServer(asyncssh.SSHServer):
    def __init__(self, record: Impostor) -> None:
        self.record = record

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        self.record.passwords.append(password)
        return True  # an impostor lets anyone in, to collect what they send

    def public_key_auth_supported(self) -> bool:
        return True

    def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
        self.record.public_keys.append(key.get_fingerprint())
        return False


@pytest.fixture(scope='module')
def impostor(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Impostor]:
    root = tmp_path_factory.mktemp('impostor')
    key = asyncssh.generate_private_key('ssh-ed25519')
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    record = Impostor(port=0, host_key=key.export_public_key().decode().strip())

    async def start() -> Any:
        return await asyncssh.listen(
            '127.0.0.1',
            0,
            server_host_keys=[key],
            server_factory=lambda: _RecordingServer(record),
            sftp_factory=lambda chan: asyncssh.SFTPServer(chan, chroot=str(root).encode()),
        )

    server = asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    record.port = server.sockets[0].getsockname()[1]
    yield record

    async def stop() -> None:
        server.close()
        await server.wait_closed()

    asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)
    loop.close()


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A HOME of our own: the default ``~/.ssh/known_hosts`` is the test's, empty unless written."""
    monkeypatch.setenv('HOME', str(tmp_path))
    (tmp_path / '.ssh').mkdir()
    return tmp_path


def _config(port: int, **extra: Any) -> dict[str, Any]:
    return {
        'provider': 'sftp',
        'configuration': {
            'host': '127.0.0.1', 'port': port, 'username': 'someone', 'password': PASSWORD,
            'root_path': '/', 'retries': 2, 'timeout': 10, **extra,
        },
    }  # fmt: skip


def _attempt(config: dict[str, Any]) -> HostKeyVerificationError:
    with pytest.raises(HostKeyVerificationError) as caught:
        get_storage(config).list()
    return caught.value


def test_default_refuses_an_unknown_host_and_sends_no_password(impostor: Impostor) -> None:
    before = len(impostor.passwords)
    error = _attempt(_config(impostor.port))
    assert isinstance(error, StorageConnectionError) and isinstance(error, ConnectionError)
    message = str(error)
    assert '\n' not in message and PASSWORD not in message
    assert f'ssh-keyscan -p {impostor.port} 127.0.0.1 >> ~/.ssh/known_hosts' in message
    assert 'host_key' in message and 'no known_hosts file' in message
    assert len(impostor.passwords) == before  # not even once, despite retries: 2


def test_a_known_hosts_entry_for_another_key_is_refused(impostor: Impostor, _home: Path) -> None:
    other = asyncssh.generate_private_key('ssh-ed25519').export_public_key().decode().strip()
    (_home / '.ssh' / 'known_hosts').write_text(f'[127.0.0.1]:{impostor.port} {other}\n')
    before = len(impostor.passwords)
    assert 'not in' in str(_attempt(_config(impostor.port)))
    custom = _home / 'hosts'
    custom.write_text(f'[127.0.0.1]:{impostor.port} {other}\n')
    assert str(custom) in str(_attempt(_config(impostor.port, known_hosts=str(custom))))
    assert len(impostor.passwords) == before


def test_a_host_key_option_for_another_key_is_refused(impostor: Impostor, sshd: dict[str, Any]) -> None:
    before = len(impostor.passwords)
    error = _attempt(_config(impostor.port, host_key=sshd['host_key']))
    assert 'not the configured host_key' in str(error)
    assert len(impostor.passwords) == before
    assert impostor.public_keys == []


def test_trusting_an_unknown_host_is_an_explicit_logged_opt_in(
    impostor: Impostor, caplog: pytest.LogCaptureFixture
) -> None:
    before = len(impostor.passwords)
    with caplog.at_level(logging.WARNING):
        store = get_storage(_config(impostor.port, trust_unknown_host=True))
        store.list()
        store.close()
    assert impostor.passwords[before:] == [PASSWORD]  # what the opt-in risks: it is the user's choice
    assert any('trust_unknown_host' in r.getMessage() and 'NOT verified' in r.getMessage() for r in caplog.records)
    assert not any(PASSWORD in r.getMessage() for r in caplog.records)


def test_the_real_server_works_with_its_key_given_either_way(sshd: dict[str, Any], _home: Path) -> None:
    base = {
        'host': sshd['host'], 'port': sshd['port'], 'username': sshd['username'], 'password': sshd['password'],
        'root_path': sshd['home'],
    }  # fmt: skip
    by_option = get_storage({'provider': 'sftp', 'configuration': {**base, 'host_key': sshd['host_key']}})
    by_option.write_bytes('hostkey-check.txt', b'verified')
    # ssh-keyscan's form, in the default ~/.ssh/known_hosts
    (_home / '.ssh' / 'known_hosts').write_text(f'[{sshd["host"]}]:{sshd["port"]} {sshd["host_key"]}\n')
    by_file = get_storage({'provider': 'sftp', 'configuration': base})
    assert by_file.read_bytes('hostkey-check.txt') == b'verified'
    by_file.delete('hostkey-check.txt')
    by_option.close()
    by_file.close()


def test_a_malformed_host_key_is_a_configuration_error() -> None:
    with pytest.raises(StorageConfigError, match='host_key'):
        get_storage(_config(22, host_key='not a key'))
