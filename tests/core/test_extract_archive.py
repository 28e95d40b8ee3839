"""``extract_archive`` on crafted zip and tar files: odd names, conflicts, bombs -> one ArchiveError."""

from __future__ import annotations

import io
import tarfile
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from synapse_sdk.core.errors import ArchiveError
from synapse_sdk.utils.file import extract_archive

ZEROS = 20 << 20  # 20 MiB of zeros deflate to ~20 KB: a ratio of ~1000


def make_zip(path: Path, members: list[tuple[str, bytes | None]]) -> Path:
    """``None`` content makes a folder entry. Duplicate names are written as given."""
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # zipfile warns about the duplicates we want
        with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as zf:
            for name, data in members:
                info = zipfile.ZipInfo(name)
                if data is None:
                    info.external_attr = 0o40755 << 16 | 0x10
                    zf.writestr(info, b'')
                else:
                    info.compress_type = zipfile.ZIP_DEFLATED
                    zf.writestr(info, data)
    return path


def make_tar(path: Path, members: list[tuple[str, bytes | None]], mode: str = 'w') -> Path:
    with tarfile.open(path, mode) as tf:  # type: ignore[call-overload]
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tf.addfile(info)
            else:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
    return path


KINDS: dict[str, Callable[[Path, list[tuple[str, bytes | None]]], Path]] = {'zip': make_zip, 'tar': make_tar}

ODD: dict[str, list[tuple[str, bytes | None]]] = {
    'empty-name': [('', b'x')],
    'dot-file': [('.', b'x')],
    'file-then-dir': [('a', b'file'), ('a/b', b'inside')],
    'dir-then-file': [('a/b', b'inside'), ('a', b'file')],
    'duplicate': [('same.txt', b'one'), ('same.txt', b'two')],
    'folder-entry-vs-file': [('a/', None), ('a', b'file')],
    'escape': [('../evil', b'x')],
}


@pytest.mark.parametrize('case', sorted(ODD))
@pytest.mark.parametrize('kind', sorted(KINDS))
def test_odd_members_are_one_archive_error_and_nothing_is_written(tmp_path: Path, kind: str, case: str) -> None:
    archive = KINDS[kind](tmp_path / f'odd.{kind}', ODD[case])
    target = tmp_path / 'out'
    with pytest.raises(ArchiveError) as caught:
        extract_archive(archive, target)
    assert '\n' not in str(caught.value)
    assert not target.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f'odd.{kind}']  # no staging folder left behind


@pytest.mark.parametrize('kind', sorted(KINDS))
def test_plain_archives_extract_and_root_folder_entries_are_fine(tmp_path: Path, kind: str) -> None:
    members: list[tuple[str, bytes | None]] = [('./', None), ('pkg/', None), ('pkg/a.py', b'print(1)'), ('b.txt', b'b')]
    archive = KINDS[kind](tmp_path / f'ok.{kind}', members)
    out = extract_archive(archive, tmp_path / 'out')
    assert (out / 'pkg' / 'a.py').read_bytes() == b'print(1)' and (out / 'b.txt').read_bytes() == b'b'


@pytest.mark.parametrize(('kind', 'mode'), [('zip', ''), ('tar', 'w:gz')])
def test_compression_bombs_are_refused_by_ratio(tmp_path: Path, kind: str, mode: str) -> None:
    path = tmp_path / f'bomb.{kind}'
    members: list[tuple[str, bytes | None]] = [('zeros.bin', bytes(ZEROS))]
    archive = make_zip(path, members) if kind == 'zip' else make_tar(path, members, mode)
    assert archive.stat().st_size < ZEROS / 100
    with pytest.raises(ArchiveError, match='times its own size'):
        extract_archive(archive, tmp_path / 'out')
    assert not (tmp_path / 'out').exists()
    out = extract_archive(archive, tmp_path / 'allowed', max_ratio=None)
    assert (out / 'zeros.bin').stat().st_size == ZEROS


def test_small_archives_are_not_held_to_the_ratio(tmp_path: Path) -> None:
    archive = make_zip(tmp_path / 'small.zip', [('zeros.bin', bytes(1 << 20))])
    assert (extract_archive(archive, tmp_path / 'out') / 'zeros.bin').stat().st_size == 1 << 20


def test_tar_links_and_devices_are_refused(tmp_path: Path) -> None:
    path = tmp_path / 'links.tar'
    with tarfile.open(path, 'w') as tf:
        link = tarfile.TarInfo('link')
        link.type = tarfile.SYMTYPE
        link.linkname = '/etc/passwd'
        tf.addfile(link)
    with pytest.raises(ArchiveError, match='is a link'):
        extract_archive(path, tmp_path / 'out')
    with tarfile.open(path, 'w') as tf:
        fifo = tarfile.TarInfo('pipe')
        fifo.type = tarfile.FIFOTYPE
        tf.addfile(fifo)
    with pytest.raises(ArchiveError, match='not a file or folder'):
        extract_archive(path, tmp_path / 'out')


def test_not_an_archive_is_an_archive_error(tmp_path: Path) -> None:
    path = tmp_path / 'text.zip'
    path.write_text('hello')
    with pytest.raises(ArchiveError, match='not a valid zip or tar archive'):
        extract_archive(path, tmp_path / 'out')
