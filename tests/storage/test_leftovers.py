"""A write killed half-way leaves a temporary entry: nobody sees it, and the next write cleans it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.core._atomic import TEMP_PREFIX, clean_stale, is_temp_name, temp_name
from synapse_sdk.utils.storage import get_storage

UPLOAD = """
import sys
from synapse_sdk.utils.storage import get_storage
get_storage({'provider': 'local', 'configuration': {'location': sys.argv[1]}}).upload(sys.argv[2], 'models/big.bin')
"""


def killed_upload(root: Path, source: Path) -> Path:
    """Start a real upload in a subprocess, SIGKILL it once its temporary file exists; return that file."""
    folder = root / 'models'
    child = subprocess.Popen([sys.executable, '-c', UPLOAD, str(root), str(source)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = [p for p in folder.iterdir() if p.name.startswith(TEMP_PREFIX)] if folder.is_dir() else []
            if found:
                os.kill(child.pid, signal.SIGKILL)
                child.wait(10)
                return found[0]
            if child.poll() is not None:
                raise AssertionError('the upload finished before it could be killed')
            time.sleep(0.001)
        raise AssertionError('no temporary file appeared')
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(10)


def test_killed_local_upload_is_hidden_then_cleaned_by_the_next_upload(tmp_path: Path) -> None:
    source = tmp_path / 'big.bin'
    with open(source, 'wb') as handle:
        handle.truncate(8 << 30)  # sparse: 8 GiB to copy, nothing on disk
    root = tmp_path / 'store'
    leftover = killed_upload(root, source)
    assert leftover.exists() and not (root / 'models' / 'big.bin').exists()

    storage = get_storage({'provider': 'local', 'configuration': {'location': str(root)}})
    assert storage.list('models') == [] and storage.list('', recursive=True) == []
    assert storage.glob('models/*') == []
    config = tmp_path / 'storage.json'
    config.write_text(json.dumps({'provider': 'local', 'configuration': {'location': str(root)}}))
    shown = CliRunner().invoke(app, ['storage', 'ls', str(config), 'models'])
    assert shown.exit_code == 0 and TEMP_PREFIX not in shown.output and '.part' not in shown.output

    small = tmp_path / 'small.bin'
    small.write_bytes(b'weights')
    subprocess.run([sys.executable, '-c', UPLOAD, str(root), str(small)], check=True, timeout=60)
    assert sorted(p.name for p in (root / 'models').iterdir()) == ['big.bin']
    assert storage.list('models') == ['models/big.bin']


def test_a_live_writers_temp_file_is_kept_and_an_old_one_is_removed(tmp_path: Path) -> None:
    live = tmp_path / temp_name('x.bin')  # this process: alive
    live.write_bytes(b'1')
    old = tmp_path / temp_name('y.bin')
    old.write_bytes(b'2')
    os.utime(old, (time.time() - 3 * 86400,) * 2)
    other = tmp_path / '.y.bin.part'  # not ours: never touched
    other.write_bytes(b'3')
    assert clean_stale(tmp_path, once=False) == [old]
    assert live.exists() and other.exists()
    assert is_temp_name(f'models/{live.name}') and not is_temp_name('models/x.bin')
