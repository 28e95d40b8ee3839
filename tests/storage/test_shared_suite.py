"""One behaviour suite, run against every provider's real server (fsspec's tests/abstract style)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.core.errors import MissingFileError
from synapse_sdk.utils.storage import (
    PathEscapeError,
    StorageNotFoundError,
    StorageProtocol,
    get_path_file_count,
    get_path_total_size,
    get_pathlib,
    get_storage,
)


def test_is_a_storage_protocol(storage: StorageProtocol) -> None:
    assert isinstance(storage, StorageProtocol)


def test_upload_then_exists_download_and_read(storage: StorageProtocol, files: Any, tmp_path: Path) -> None:
    payload = os.urandom(70_000)
    url = storage.upload(files('a.bin', payload), 'uploads/a.bin')
    assert isinstance(url, str) and url.endswith('uploads/a.bin')
    assert storage.exists('uploads/a.bin')
    assert storage.exists('/uploads/a.bin')  # leading slash = relative to the root
    assert not storage.exists('uploads/missing.bin')
    out = storage.download('uploads/a.bin', tmp_path / 'out' / 'a.bin')
    assert out.read_bytes() == payload
    assert storage.read_bytes('uploads/a.bin') == payload
    assert storage.size('uploads/a.bin') == len(payload)


def test_upload_accepts_str_and_path_sources(storage: StorageProtocol, files: Any) -> None:
    source = files('s.txt', b'str source')
    storage.upload(str(source), 'x/s.txt')
    storage.upload(source, 'x/p.txt')
    assert storage.read_bytes('x/s.txt') == storage.read_bytes('x/p.txt') == b'str source'


def test_upload_replaces_existing_key(storage: StorageProtocol, files: Any) -> None:
    storage.upload(files('v1.txt', b'one'), 'doc.txt')
    storage.upload(files('v2.txt', b'two, longer'), 'doc.txt')
    assert storage.read_bytes('doc.txt') == b'two, longer'


def test_missing_source_is_a_clear_error(storage: StorageProtocol, tmp_path: Path) -> None:
    with pytest.raises(StorageNotFoundError, match='does not exist'):
        storage.upload(tmp_path / 'nope.txt', 'nope.txt')


def test_download_of_missing_key_raises_not_found(storage: StorageProtocol, tmp_path: Path) -> None:
    with pytest.raises(StorageNotFoundError) as info:
        storage.download('never/there.txt', tmp_path / 'x.txt')
    assert isinstance(info.value, FileNotFoundError)
    assert not (tmp_path / 'x.txt').exists()
    assert not list(tmp_path.glob('.x.txt*'))  # no partial file left behind


def test_delete_file_and_folder(storage: StorageProtocol, files: Any) -> None:
    storage.upload(files('a.txt'), 'd/a.txt')
    storage.upload(files('b.txt'), 'd/sub/b.txt')
    storage.delete('d/a.txt')
    assert not storage.exists('d/a.txt')
    assert storage.exists('d/sub/b.txt')
    storage.delete('d', recursive=True)
    assert not storage.exists('d/sub/b.txt')
    storage.delete('d/a.txt')  # already gone: fine by default
    with pytest.raises(StorageNotFoundError):
        storage.delete('d/a.txt', missing_ok=False)


def test_list_and_glob(storage: StorageProtocol, files: Any) -> None:
    for key in ('l/one.txt', 'l/two.json', 'l/sub/three.txt', 'other.txt'):
        storage.upload(files(key.replace('/', '_'), key.encode()), key)
    assert storage.list('l') == ['l/one.txt', 'l/sub/', 'l/two.json']
    assert storage.list('l', recursive=True) == ['l/one.txt', 'l/sub/three.txt', 'l/two.json']
    assert storage.list('missing-folder') == []
    assert storage.glob('l/*.txt') == ['l/one.txt']
    assert storage.glob('l/**/*.txt') == ['l/one.txt', 'l/sub/three.txt']
    details = {e['key']: e for e in storage.list_details('l', recursive=True)}
    assert details['l/sub/three.txt']['size'] == len(b'l/sub/three.txt')


def test_open_streams_reads(storage: StorageProtocol, files: Any) -> None:
    payload = b'0123456789' * 1000
    storage.upload(files('big.txt', payload), 'o/big.txt')
    with storage.open('o/big.txt') as handle:
        assert handle.read(10) == b'0123456789'
        handle.seek(9990)
        assert handle.read() == b'0123456789'


def test_write_bytes(storage: StorageProtocol) -> None:
    storage.write_bytes('w/data.bin', b'\x00\x01binary')
    assert storage.read_bytes('w/data.bin') == b'\x00\x01binary'


def test_upload_many_reports_progress_and_returns_urls_in_order(storage: StorageProtocol, files: Any) -> None:
    pairs = [(files(f'm{i}.txt', f'file {i}'.encode()), f'many/m{i}.txt') for i in range(25)]
    seen: list[tuple[int, int]] = []
    urls = storage.upload_many(pairs, progress=lambda done, total: seen.append((done, total)))
    assert [u.rsplit('/', 1)[1] for u in urls] == [f'm{i}.txt' for i in range(25)]
    assert seen[-1] == (25, 25) and seen[0][1] == 25
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert storage.get_path_file_count('many') == 25
    assert storage.read_bytes('many/m7.txt') == b'file 7'


def test_download_many(storage: StorageProtocol, files: Any, tmp_path: Path) -> None:
    storage.upload_many({files(f'd{i}.txt', bytes([i]) * 10): f'dm/d{i}.txt' for i in range(5)})
    out = storage.download_many({f'dm/d{i}.txt': tmp_path / 'dl' / f'd{i}.txt' for i in range(5)})
    assert [p.read_bytes() for p in out] == [bytes([i]) * 10 for i in range(5)]


def test_file_count_and_total_size_count_files_only(
    storage: StorageProtocol, config: dict[str, Any], files: Any
) -> None:
    sizes = {'c/a.bin': 10, 'c/sub/b.bin': 200, 'c/sub/deeper/c.bin': 3000}
    for key, size in sizes.items():
        storage.upload(files(key.replace('/', '_'), b'x' * size), key)
    assert storage.get_path_file_count('c') == 3
    assert storage.get_path_total_size('c') == 3210
    assert get_path_file_count(config, '/c') == 3
    assert get_path_total_size(config, '/c') == 3210
    assert get_path_file_count(config, '/c/sub') == 2
    assert get_path_file_count(config, '/nothing-here') == 0


def test_get_pathlib_walks_the_same_files(storage: StorageProtocol, config: dict[str, Any], files: Any) -> None:
    storage.upload(files('p1.txt'), 'uploads/p1.txt')
    storage.upload(files('p2.txt'), 'uploads/deep/p2.txt')
    storage.upload(files('p3.json'), 'uploads/p3.json')
    path = get_pathlib(config, '/uploads')
    names = sorted(p.name for p in path.rglob('*.txt'))
    assert names == ['p1.txt', 'p2.txt']
    assert (path / 'p1.txt').read_bytes() == b'hello'
    assert storage.get_path_file_count(path) == 3  # a path object from get_pathlib is accepted too


def test_keys_cannot_escape_the_root(storage: StorageProtocol, files: Any) -> None:
    for key in ('../outside.txt', 'a/../../outside.txt', '/../outside.txt'):
        with pytest.raises(PathEscapeError):
            storage.upload(files('e.txt'), key)
        with pytest.raises(PathEscapeError):
            storage.exists(key)
    storage.upload(files('ok.txt'), 'a/../inside.txt')  # stays inside: allowed
    assert storage.exists('inside.txt')


def test_a_second_client_sees_writes_at_once(storage: StorageProtocol, config: dict[str, Any], files: Any) -> None:
    other = get_storage(config)
    assert other.list('fresh') == []
    assert not other.exists('fresh/new.txt')
    storage.upload(files('new.txt'), 'fresh/new.txt')
    assert other.exists('fresh/new.txt')  # no stale listing cache
    assert other.list('fresh') == ['fresh/new.txt']
    assert other.get_path_file_count('fresh') == 1
    storage.delete('fresh/new.txt')
    assert not other.exists('fresh/new.txt')
    assert other.list('fresh') == []
    other.close()


def test_get_url_points_at_the_key(storage: StorageProtocol, files: Any) -> None:
    storage.upload(files('u.txt'), 'u/u.txt')
    url = storage.get_url('u/u.txt')
    assert 'u/u.txt' in url or 'u%2Fu.txt' in url


@pytest.mark.parametrize(
    'call',
    [
        pytest.param(lambda s, tmp: s.download('gone/x.txt', tmp / 'x.txt'), id='download'),
        pytest.param(lambda s, tmp: s.read_bytes('gone/x.txt'), id='read_bytes'),
        pytest.param(lambda s, tmp: s.size('gone/x.txt'), id='size'),
        pytest.param(lambda s, tmp: s.open('gone/x.txt', 'rb').read(), id='open'),
        pytest.param(lambda s, tmp: s.delete('gone/x.txt', missing_ok=False), id='delete'),
        pytest.param(lambda s, tmp: s.download_many([('gone/x.txt', tmp / 'x.txt')]), id='download_many'),
    ],
)
def test_a_missing_key_is_the_same_error_everywhere(
    storage: StorageProtocol, tmp_path: Path, call: Callable[[StorageProtocol, Path], object]
) -> None:
    storage.write_bytes('present.txt', b'here')  # the root exists: only the key is missing
    with pytest.raises(StorageNotFoundError) as info:
        call(storage, tmp_path)
    error = info.value
    # One type on every provider, caught by either builtin family and by the SDK's own.
    assert isinstance(error, MissingFileError) and isinstance(error, FileNotFoundError)
    assert 'gone/x.txt' in str(error) or 'gone/x.txt' in str(error.details)


def test_a_missing_folder_lists_and_counts_nothing(storage: StorageProtocol) -> None:
    assert storage.list('gone') == [] and storage.list('gone', recursive=True) == []
    assert storage.list_details('gone') == []
    assert storage.stats('gone') == (0, 0)
    assert not storage.exists('gone')
