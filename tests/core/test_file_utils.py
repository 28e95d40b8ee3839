from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tracemalloc
import zipfile
from pathlib import Path

import pytest

from synapse_sdk.core.errors import ArchiveError
from synapse_sdk.utils.file import (
    ArchiveFilter,
    calculate_checksum,
    create_archive,
    create_archive_from_git,
    extract_archive,
    read_requirements,
    verify_checksum,
)


@pytest.mark.parametrize('algorithm', ['md5', 'sha1', 'sha256', 'sha512'])
def test_checksum_matches_hashlib(tmp_path: Path, algorithm: str) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / 'blob'
    path.write_bytes(data)
    assert calculate_checksum(path, algorithm) == hashlib.new(algorithm, data).hexdigest()
    assert verify_checksum(path, 'dev-' + hashlib.new(algorithm, data).hexdigest().upper(), algorithm)


def test_checksum_streams_in_constant_memory(tmp_path: Path) -> None:
    path = tmp_path / 'big'
    with open(path, 'wb') as handle:
        for _ in range(64):
            handle.write(os.urandom(1024 * 1024))
    tracemalloc.start()
    calculate_checksum(path, 'sha256')
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 8 * 1024 * 1024  # 64 MiB file, a few MiB at most in memory


def test_checksum_rejects_unknown_algorithm(tmp_path: Path) -> None:
    (tmp_path / 'f').write_text('x')
    with pytest.raises(ValueError, match='unsupported checksum algorithm'):
        calculate_checksum(tmp_path / 'f', 'crc32')


def _plugin_tree(root: Path) -> None:
    for relative in [
        'config.yaml',
        'plugin/train.py',
        'plugin/__pycache__/train.cpython.pyc',
        '.venv/bin/python',
        'dist/x.whl',
        '.git/HEAD',
        'notes.log',
        'data/a.txt',
    ]:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(relative)


def test_create_archive_default_excludes_and_filter(tmp_path: Path) -> None:
    src = tmp_path / 'plugin'
    _plugin_tree(src)
    out = create_archive(src, tmp_path / 'out.zip')
    assert sorted(zipfile.ZipFile(out).namelist()) == ['config.yaml', 'data/a.txt', 'plugin/train.py']
    only = create_archive(src, tmp_path / 'only.zip', filter=ArchiveFilter.from_patterns(include=['*.py']))
    assert zipfile.ZipFile(only).namelist() == ['plugin/train.py']


def test_create_archive_from_git_in_a_subfolder(tmp_path: Path) -> None:
    repo = tmp_path / 'repo'
    plugin = repo / 'plugins' / 'mine'
    _plugin_tree(plugin)
    (repo / 'other.txt').parent.mkdir(parents=True, exist_ok=True)
    (repo / 'other.txt').write_text('outside')
    (repo / '.gitignore').write_text('data/\n*.log\n')
    git = ['git', '-C', str(repo), '-c', 'user.email=a@b', '-c', 'user.name=a']
    subprocess.run([*git, 'init', '-q'], check=True)
    subprocess.run([*git, 'add', 'other.txt', '.gitignore', 'plugins/mine/config.yaml'], check=True)
    subprocess.run([*git, 'commit', '-qm', 'x'], check=True)
    out = create_archive_from_git(plugin, tmp_path / 'git.zip')
    names = sorted(zipfile.ZipFile(out).namelist())
    # tracked + untracked-not-ignored, relative to the plugin folder; nothing from outside it
    assert 'config.yaml' in names and 'plugin/train.py' in names
    assert 'data/a.txt' not in names and 'notes.log' not in names and 'other.txt' not in names


def test_create_archive_from_git_outside_a_repo(tmp_path: Path) -> None:
    (tmp_path / 'x').mkdir()
    with pytest.raises(ArchiveError, match='not inside a git repository'):
        create_archive_from_git(tmp_path / 'x', tmp_path / 'x.zip')


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, 'w') as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


@pytest.mark.parametrize('name', ['../evil.txt', '/etc/evil', 'a/../../evil', 'C:/evil', '..\\evil'])
def test_extract_refuses_escaping_members(tmp_path: Path, name: str) -> None:
    archive = _zip(tmp_path / 'bad.zip', {'ok.txt': b'ok', name: b'evil'})
    with pytest.raises(ArchiveError, match='outside the target'):
        extract_archive(archive, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()
    assert not (tmp_path / 'evil.txt').exists()


def test_extract_refuses_links(tmp_path: Path) -> None:
    archive = tmp_path / 'link.zip'
    with zipfile.ZipFile(archive, 'w') as zf:
        info = zipfile.ZipInfo('link')
        info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, '/etc/passwd')
    with pytest.raises(ArchiveError, match='is a link'):
        extract_archive(archive, tmp_path / 'out')


def test_extract_enforces_limits_and_leaves_nothing(tmp_path: Path) -> None:
    many = _zip(tmp_path / 'many.zip', {f'f{i}': b'x' for i in range(11)})
    with pytest.raises(ArchiveError, match='limit is 10'):
        extract_archive(many, tmp_path / 'out', max_members=10)
    big = _zip(tmp_path / 'big.zip', {'a': b'0' * 2000, 'b': b'0' * 2000})
    with pytest.raises(ArchiveError, match='limit'):
        extract_archive(big, tmp_path / 'out', max_total_size=3000)
    assert not (tmp_path / 'out').exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith('.out')] == []


def test_extract_roundtrip(tmp_path: Path) -> None:
    src = tmp_path / 'src'
    _plugin_tree(src)
    out = extract_archive(create_archive(src, tmp_path / 'a.zip'), tmp_path / 'out')
    assert (out / 'plugin' / 'train.py').read_text() == 'plugin/train.py'


def test_read_requirements(tmp_path: Path) -> None:
    assert read_requirements(tmp_path / 'requirements.txt') is None
    (tmp_path / 'requirements.txt').write_text('# c\nnumpy>=1.20\n\n--extra-index-url https://x\ntorch>=2.0  # gpu\n')
    assert read_requirements(tmp_path / 'requirements.txt') == [
        'numpy>=1.20',
        '--extra-index-url https://x',
        'torch>=2.0',
    ]
    assert read_requirements(tmp_path) == read_requirements(tmp_path / 'requirements.txt')
