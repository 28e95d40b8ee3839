from __future__ import annotations

import json
import os
import signal
import struct
import subprocess
import sys
import urllib.request
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from synapse_sdk.clients.local import LocalBackend


def png_bytes(width: int = 8, height: int = 6) -> bytes:
    """A valid RGB PNG made with the standard library."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xFFFFFFFF)

    scanlines = b''.join(
        b'\x00' + b''.join(bytes([(x * 20) % 256, (y * 30) % 256, 128]) for x in range(width)) for y in range(height)
    )
    header = struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)
    return (
        b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', header) + chunk(b'IDAT', zlib.compress(scanlines)) + chunk(b'IEND', b'')
    )


def dm_annotation(index: int) -> dict[str, object]:
    return {
        'classification': {'bounding_box': ['car', 'person']},
        'images': [
            {
                'bounding_box': [
                    {
                        'id': f'box{index:07d}',
                        'classification': 'car' if index % 2 else 'person',
                        'attrs': [],
                        'data': [1, 1, 4, 3],
                    }
                ]
            }
        ],
    }


def make_dm_dataset(root: Path, count: int = 4, *, splits: tuple[str, ...] = ()) -> Path:
    for split in splits or ('',):
        folder = root / split if split else root
        (folder / 'json').mkdir(parents=True, exist_ok=True)
        (folder / 'original_files').mkdir(parents=True, exist_ok=True)
        for i in range(count):
            stem = f'{split or "img"}_{i:03d}'
            (folder / 'original_files' / f'{stem}.png').write_bytes(png_bytes())
            (folder / 'json' / f'{stem}.json').write_text(json.dumps(dm_annotation(i)))
    return root


@pytest.fixture
def backend(tmp_path: Path) -> LocalBackend:
    return LocalBackend(tmp_path / 'home')


@pytest.fixture
def dm_dataset(tmp_path: Path) -> Path:
    return make_dm_dataset(tmp_path / 'dm', 4)


@pytest.fixture
def dm_factory():
    """``make_dm_dataset(root, count, splits=...)`` for tests that need their own layout."""
    return make_dm_dataset


PLATFORM_TOKEN = 'tok-backend-SECRET-4242'


@pytest.fixture(scope='session')
def platform_url() -> Iterator[str]:
    """A real HTTP server (tests/backend/platform_server.py) in its own process; stopped by PID."""
    script = Path(__file__).with_name('platform_server.py')
    proc = subprocess.Popen([sys.executable, str(script), PLATFORM_TOKEN], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None
        port = int(proc.stdout.readline().decode().strip())
        yield f'http://127.0.0.1:{port}'
    finally:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)


@pytest.fixture
def platform(platform_url: str) -> Iterator[str]:
    """The server, reset to its initial state for each test."""
    urllib.request.urlopen(urllib.request.Request(f'{platform_url}/__control/reset', data=b'{}', method='POST'))
    yield platform_url
