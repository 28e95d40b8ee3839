from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients.local import LocalBackend
from synapse_sdk.plugins.events import MemorySink
from synapse_sdk.plugins.runner import run_plugin

EXAMPLES = Path(__file__).resolve().parents[2] / 'examples'


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
def dm_factory() -> Callable[..., Path]:
    return make_dm_dataset


class Runner:
    """Runs an example plugin in-process against one backend, keeping its events."""

    def __init__(self, backend: LocalBackend) -> None:
        self.backend = backend
        self.sink = MemorySink()

    def __call__(self, plugin: str, action: str, params: dict[str, Any]) -> Any:
        self.sink = MemorySink()
        return run_plugin(str(EXAMPLES / plugin), action, params, client=self.backend, sinks=[self.sink])

    def progress(self, category: str) -> list[float]:
        return [e.data['percent'] for e in self.sink.events if e.kind == 'progress' and e.data['category'] == category]

    def codes(self) -> list[str | None]:
        return [e.code for e in self.sink.events if e.kind == 'message']


@pytest.fixture
def run(backend: LocalBackend) -> Runner:
    return Runner(backend)
