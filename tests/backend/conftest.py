from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

PLATFORM_TOKEN = 'tok-backend-SECRET-4242'


def _serve(token: str) -> Iterator[str]:
    """tests/backend/platform_server.py in its own process, answering for ``token``; stopped by PID."""
    script = Path(__file__).with_name('platform_server.py')
    proc = subprocess.Popen([sys.executable, str(script), token], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().strip())
        yield f'http://127.0.0.1:{port}'
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture(scope='session')
def platform_url() -> Iterator[str]:
    """A real HTTP server (tests/backend/platform_server.py) in its own process; stopped by PID."""
    yield from _serve(PLATFORM_TOKEN)


@pytest.fixture
def platform(platform_url: str) -> Iterator[str]:
    """The server, reset to its initial state for each test."""
    urllib.request.urlopen(urllib.request.Request(f'{platform_url}/__control/reset', data=b'{}', method='POST'))
    yield platform_url


@pytest.fixture(scope='session')
def other_origin_url() -> Iterator[str]:
    """A second, unrelated server (another port: another origin) that records what it receives."""
    yield from _serve('the-other-origins-own-token')


@pytest.fixture
def other_origin(other_origin_url: str) -> Iterator[str]:
    urllib.request.urlopen(urllib.request.Request(f'{other_origin_url}/__control/reset', data=b'{}', method='POST'))
    yield other_origin_url
