"""Fixtures shared by several test folders: a tiny DM dataset and an embedded backend."""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.clients._local import LocalBackend


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
    """``make_dm_dataset(root, count, splits=...)`` for tests that need their own layout."""
    return make_dm_dataset


# ----------------------------------------------------------------- a plugin folder full of secrets
# Every secret file the security review found shipped, by the name it is excluded under.
SECRET_FILES = {
    '.env': 'DB_PASS=leak-env\n',
    '.env.local': 'API_TOKEN=leak-env-local\n',
    '.env.production': 'API_TOKEN=leak-env-production\n',
    'id_rsa': 'leak-id-rsa\n',
    'id_rsa.pub': 'ssh-rsa AAAA leak-id-rsa-pub\n',
    '.ssh/id_ed25519': 'leak-ssh-ed25519\n',
    'server.pem': 'leak-pem\n',
    'tls.key': 'leak-key\n',
    '.aws/credentials': '[default]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = leak-aws\n',
    '.netrc': 'machine api.example.com login me password leak-netrc\n',
    '.git-credentials': 'https://me:leak-git-credentials@github.com\n',
    '.pypirc': '[pypi]\npassword = leak-pypirc\n',
    '.npmrc': '//registry.npmjs.org/:_authToken=leak-npmrc\n',
    'credentials.json': '{"installed": {"client_secret": "leak-credentials-json"}}\n',
    'service-account.json': '{"type": "service_account", "private_key": "leak-service-account"}\n',
    '.synapse/config.json': '{"access_token": "leak-synapse-config"}\n',
    '.kube/config': 'apiVersion: v1\nusers:\n- user:\n    token: leak-kube\n',
    '.docker/config.json': '{"auths": {"r.io": {"auth": "leak-docker"}}}\n',
    'nested/pkg/.env.staging': 'X=leak-nested-env\n',
    'nested/id_ed25519': 'leak-nested-ssh\n',
}
PLUGIN_FILES = {
    'config.yaml': 'name: Secret plugin\ncode: secret-plugin\nversion: 0.1.0\ncategory: custom\n'
    'actions:\n  files:\n    entrypoint: secret_plugin.actions:files\n',
    'secret_plugin/__init__.py': '',
    'secret_plugin/actions.py': (
        'import os\n\nfrom synapse_sdk.plugins.decorators import action\n\n\n'
        "@action(name='files')\ndef files(params, ctx):\n"
        "    found = []\n    for root, dirs, names in os.walk('.'):\n"
        '        found += [os.path.relpath(os.path.join(root, n), ".") for n in dirs + names]\n'
        '    return sorted(found)\n'
    ),
    'data/.gitignore': '*.tmp\n',
    'data/keep.txt': 'keep\n',
    'data/scratch.tmp': 'nested gitignore without git\n',
}
OUTSIDE_SECRET = 'leak-outside-the-plugin-folder'


def make_secret_plugin(root: Path, outside: Path) -> Path:
    """A plugin folder holding every secret file above, plus links out of it and one link inside."""
    for relative, text in {**PLUGIN_FILES, **SECRET_FILES}.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding='utf-8')
    outside.mkdir(parents=True, exist_ok=True)
    (outside / 'secret.txt').write_text(OUTSIDE_SECRET, encoding='utf-8')
    (root / 'leak.txt').symlink_to(outside / 'secret.txt')
    (root / 'leak_dir').symlink_to(outside, target_is_directory=True)
    (root / 'secret_plugin' / 'alias.py').symlink_to(root / 'secret_plugin' / '__init__.py')
    return root


# What may ship from that folder (a link to a file inside the folder ships that file's content).
SHIPPED = [
    'config.yaml',
    'data/.gitignore',
    'data/keep.txt',
    'secret_plugin/__init__.py',
    'secret_plugin/actions.py',
    'secret_plugin/alias.py',
]


@pytest.fixture
def secret_plugin(tmp_path: Path) -> Path:
    return make_secret_plugin(tmp_path / 'plugin', tmp_path / 'outside')


@pytest.fixture(scope='session')
def secret_plugin_facts() -> dict[str, Any]:
    """What tests of ``secret_plugin`` compare against (conftest is not importable as a module)."""
    return {'shipped': list(SHIPPED), 'secret_files': dict(SECRET_FILES), 'outside_secret': OUTSIDE_SECRET}
