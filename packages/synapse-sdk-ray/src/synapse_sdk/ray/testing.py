"""Start a throwaway Ray head on loopback (tests, benchmarks, local experiments).

``ray start --head --block`` runs in its own session; stopping it by its PID tears down every
process the head started. All ports are picked free on 127.0.0.1 so several heads can coexist.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from synapse_sdk.ray._connection import probe


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(('127.0.0.1', 0))
        return int(sock.getsockname()[1])


def _ray_command() -> list[str]:
    ray_bin = Path(sys.executable).with_name('ray')
    return [str(ray_bin)] if ray_bin.exists() else [sys.executable, '-m', 'ray.scripts.scripts']


@dataclass
class LocalHead:
    """A Ray head bound to loopback with its own temp dir; use as a context manager."""

    num_cpus: int = 2
    num_gpus: int = 0
    auth_mode: str = 'disabled'
    startup_timeout: float = 90.0
    gcs_port: int = field(default_factory=free_port)
    dashboard_port: int = field(default_factory=free_port)
    temp_dir: str = field(default_factory=lambda: tempfile.mkdtemp(prefix='rh', dir='/tmp'))
    process: subprocess.Popen[bytes] | None = None
    _agent_port: int = 0

    @property
    def address(self) -> str:
        """GCS address for ``ray.init`` / ``RayActorExecutor(address=...)``."""
        return f'127.0.0.1:{self.gcs_port}'

    @property
    def dashboard_address(self) -> str:
        return f'http://127.0.0.1:{self.dashboard_port}'

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env['RAY_AUTH_MODE'] = self.auth_mode
        env['RAY_USAGE_STATS_ENABLED'] = '0'
        # Workers must find the same interpreter and scripts as the test process.
        env['PATH'] = f'{Path(sys.executable).parent}{os.pathsep}{env.get("PATH", "")}'
        env.pop('RAY_ADDRESS', None)
        return env

    def start(self, attempts: int = 3) -> LocalHead:
        """Start the head; retried with fresh ports when Ray gives up during start-up.

        On a loaded machine the raylet can miss Ray's fixed 30 s registration window, after which
        ``ray start`` exits and takes the half-started head down with it.
        """
        for attempt in range(1, attempts + 1):
            self._launch()
            if self._wait_ready():
                return self
            reason = self.died() or 'not ready in time'
            self.stop(keep_logs=attempt == attempts)
            if attempt == attempts:
                raise RuntimeError(f'Ray head did not start after {attempts} attempts:\n{reason}')
            self.gcs_port, self.dashboard_port = free_port(), free_port()
            self.temp_dir = tempfile.mkdtemp(prefix='rh', dir='/tmp')
        return self

    def _launch(self) -> None:
        ports = {name: free_port() for name in ('om', 'nm', 'client', 'agent', 'agent_grpc', 'metrics', 'renv')}
        worker_low = 20000 + (self.gcs_port % 200) * 100
        cmd = [
            *_ray_command(), 'start', '--head', '--block', '--disable-usage-stats',
            '--node-ip-address', '127.0.0.1', '--port', str(self.gcs_port),
            '--dashboard-host', '127.0.0.1', '--dashboard-port', str(self.dashboard_port),
            '--include-dashboard', 'true',
            '--object-manager-port', str(ports['om']), '--node-manager-port', str(ports['nm']),
            '--ray-client-server-port', str(ports['client']),
            '--dashboard-agent-listen-port', str(ports['agent']),
            '--dashboard-agent-grpc-port', str(ports['agent_grpc']),
            '--metrics-export-port', str(ports['metrics']),
            '--runtime-env-agent-port', str(ports['renv']),
            '--min-worker-port', str(worker_low), '--max-worker-port', str(worker_low + 99),
            '--num-cpus', str(self.num_cpus), '--num-gpus', str(self.num_gpus),
            '--temp-dir', self.temp_dir,
        ]  # fmt: skip
        with open(self._out, 'wb') as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                cmd, env=self.environ(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        self._agent_port = ports['agent']

    @property
    def _out(self) -> Path:
        return Path(self.temp_dir) / 'head.out'

    def _wait_ready(self) -> bool:
        """True once ``ray start`` reported success and the dashboard and node agent answer."""
        deadline = time.monotonic() + self.startup_timeout
        url = f'{self.dashboard_address}/api/jobs/'
        while time.monotonic() < deadline:
            if self.process is None or self.process.poll() is not None:
                return False
            started = 'Ray runtime started' in self._out.read_text(encoding='utf-8', errors='replace')
            try:
                if started:
                    with urllib.request.urlopen(url, timeout=2) as response:
                        # Jobs are refused until the node's dashboard agent is up as well.
                        if response.status == 200 and probe('127.0.0.1', self._agent_port, 0.2):
                            return True
            except OSError:
                pass
            time.sleep(0.5)
        return False

    def _disconnect_driver(self) -> None:
        """Leave the cluster first if this process is its driver.

        Otherwise Ray's core worker notices the GCS is gone and, after about a minute, ends the
        whole process (a test session included) without a word.
        """
        ray = sys.modules.get('ray')
        if ray is None or not ray.is_initialized():
            return
        try:
            connected = str(ray.get_runtime_context().gcs_address)
        except Exception:
            connected = ''
        if connected.rsplit(':', 1)[-1] == str(self.gcs_port):
            ray.shutdown()

    def died(self) -> str | None:
        """The tail of ``ray start``'s output if the head has exited on its own, else None."""
        if self.process is None or self.process.poll() is None:
            return None
        text = self._out.read_text(encoding='utf-8', errors='replace') if self._out.exists() else ''
        return '\n'.join(text.splitlines()[-40:])

    def stop(self, *, keep_logs: bool | None = None) -> None:
        """Stop the head by its PID (and its session). Logs are kept when it died on its own."""
        death = self.died()
        if keep_logs is None:
            keep_logs = death is not None
        if death is not None:
            sys.stderr.write(f'Ray head exited unexpectedly (temp dir kept: {self.temp_dir}):\n{death}\n')
        self._disconnect_driver()
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
            # The head ran in its own session whose id is its PID: end whatever it left behind.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait(timeout=10)
        if not keep_logs:
            shutil.rmtree(self.temp_dir, ignore_errors=True)

    def __enter__(self) -> LocalHead:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
