"""A conversion never destroys its source and never silently replaces another conversion's output."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.core._lockfile import exclusive_lock, lock_path
from synapse_sdk.utils.converters import OutputBusyError, UnsafeOutputError, get_converter

runner = CliRunner()
SYNAPSE = str(Path(sys.executable).parent / 'synapse')


def fingerprint(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob('*'))
        if p.is_file()
    }


def test_dst_equal_to_inside_or_around_src_is_refused_even_with_overwrite(dm_flat: Path, tmp_path: Path) -> None:
    before = fingerprint(dm_flat)
    cases = [dm_flat, dm_flat / 'out', dm_flat.parent, tmp_path]
    link = tmp_path.parent / f'{tmp_path.name}-link'
    link.symlink_to(dm_flat, target_is_directory=True)
    cases.append(link)  # the same folder through a symlink
    for dst in cases:
        result = runner.invoke(app, ['dataset', 'convert', str(dm_flat), str(dst), '--to', 'yolo', '--overwrite', '-q'])
        assert result.exit_code == 1, (dst, result.output)
        assert 'source dataset' in result.output and 'Traceback' not in result.output
        assert fingerprint(dm_flat) == before, dst
    with pytest.raises(UnsafeOutputError):
        get_converter('dm_v2', 'coco', root_dir=dm_flat).save_to_folder(dm_flat / 'coco', overwrite=True)
    assert fingerprint(dm_flat) == before
    link.unlink()


def test_existing_output_message_names_the_cli_flag(dm_flat: Path, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'mine.txt').write_text('keep')
    result = runner.invoke(app, ['dataset', 'convert', str(dm_flat), str(out), '--to', 'yolo', '-q'])
    assert result.exit_code == 1
    assert '--overwrite' in result.output and 'overwrite=True' not in result.output
    assert (out / 'mine.txt').read_text() == 'keep'


def test_a_held_lock_refuses_and_a_stale_lock_is_taken_over(dm_flat: Path, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    with exclusive_lock(out):
        with pytest.raises(OutputBusyError, match=f'pid {os.getpid()}'):
            get_converter('dm_v2', 'yolo', root_dir=dm_flat).save_to_folder(out)
    assert not out.exists() and not lock_path(out).exists()
    dead = subprocess.run([sys.executable, '-c', 'import os; print(os.getpid())'], capture_output=True, text=True)
    import socket

    lock_path(out).write_text(f'{int(dead.stdout)} {socket.gethostname()}\n')  # its owner is gone
    summary = get_converter('dm_v2', 'yolo', root_dir=dm_flat).save_to_folder(out)
    assert summary.total_images == 2 and not lock_path(out).exists()


def test_two_concurrent_conversions_into_one_dst_exactly_one_wins(dm_flat: Path, tmp_path: Path) -> None:
    # Enough images that the two runs overlap.
    source = tmp_path / 'big'
    shutil.copytree(dm_flat, source)
    for i in range(300):
        shutil.copy(source / 'json' / 'a1.json', source / 'json' / f'n{i:03}.json')
        shutil.copy(source / 'original_files' / 'a1.jpg', source / 'original_files' / f'n{i:03}.jpg')
    out = tmp_path / 'out'
    command = [SYNAPSE, 'dataset', 'convert', str(source), str(out), '--to', 'yolo', '-q']
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = [(run.wait(timeout=120), run.stderr.read() if run.stderr else '') for run in runs]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 1], results
    [failure] = [err for code, err in results if code == 1]
    assert 'is writing' in failure or 'exists and is not empty' in failure
    assert 'Traceback' not in failure
    assert len(list((out / 'labels').iterdir())) == 302
    assert not lock_path(out).exists()
    assert not [p for p in tmp_path.iterdir() if '.partial-' in p.name or '.old-' in p.name]
