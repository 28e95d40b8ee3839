"""Killed ``create_model`` and conversions leave temporary entries that the next run removes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from synapse_sdk.core._atomic import TEMP_PREFIX

CREATE_MODEL = """
import sys
from synapse_sdk.clients._local import LocalBackend
LocalBackend(sys.argv[1]).create_model(sys.argv[2], name='m')
"""


def _env(tmp: Path) -> dict[str, str]:
    return {**os.environ, 'TMPDIR': str(tmp)}


def test_killed_create_model_scratch_is_cleaned_by_the_next_run(tmp_path: Path) -> None:
    scratch = tmp_path / 'tmp'
    scratch.mkdir()
    weights = tmp_path / 'weights'
    weights.mkdir()
    with open(weights / 'big.bin', 'wb') as handle:
        handle.truncate(8 << 30)  # zipping 8 GiB takes long enough to be killed half-way
    child = subprocess.Popen(
        [sys.executable, '-c', CREATE_MODEL, str(tmp_path / 'home'), str(weights)], env=_env(scratch)
    )
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(f'{TEMP_PREFIX}{child.pid}-') for p in scratch.iterdir()):
            assert time.monotonic() < deadline and child.poll() is None, 'no scratch folder appeared'
            time.sleep(0.002)
        time.sleep(0.2)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    assert [p for p in scratch.iterdir() if p.name.startswith(TEMP_PREFIX)]
    small = tmp_path / 'small'
    small.mkdir()
    (small / 'w.bin').write_bytes(b'123')
    subprocess.run(
        [sys.executable, '-c', CREATE_MODEL, str(tmp_path / 'home'), str(small)], env=_env(scratch), check=True
    )
    assert list(scratch.iterdir()) == []


CONVERT = """
import sys
from synapse_sdk.utils.converters import get_converter
get_converter('dm_v2', 'yolo', sys.argv[1]).save_to_folder(sys.argv[2])
"""


def test_killed_conversion_temp_folder_is_cleaned_by_the_next_run(tmp_path: Path, dm_factory: object) -> None:
    root = dm_factory(tmp_path / 'dm', 3000)  # type: ignore[operator]
    out = tmp_path / 'out'
    # A real conversion, SIGKILLed while it writes into its temporary folder.
    child = subprocess.Popen([sys.executable, '-c', CONVERT, str(root), str(out)], env=_env(tmp_path))
    try:
        deadline = time.monotonic() + 60
        while not any(p.name.startswith(f'{TEMP_PREFIX}{child.pid}-') for p in tmp_path.iterdir()):
            assert time.monotonic() < deadline and child.poll() is None, 'no temporary folder appeared'
            time.sleep(0.001)
        time.sleep(0.05)
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    leftovers = [p for p in tmp_path.iterdir() if p.name.startswith(TEMP_PREFIX)]
    assert leftovers and not out.exists()  # killed half-way: nothing in place, a hidden temporary left
    subprocess.run([sys.executable, '-c', CONVERT, str(root), str(out)], env=_env(tmp_path), check=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dm', 'out']
    assert (out / 'dataset.yaml').is_file()
