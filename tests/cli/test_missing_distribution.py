"""A CLI command whose distribution is not installed says which one and how to install it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

# Runs the real CLI in an interpreter where one SDK distribution cannot be imported.
WITHOUT = """
import importlib.abc, sys
absent = sys.argv.pop(1)
class Absent(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name == absent or name.startswith(absent + '.'):
            raise ModuleNotFoundError(f'No module named {name!r}', name=name)
        return None
sys.meta_path.insert(0, Absent())
from synapse_sdk.cli._main import main
sys.argv[0] = 'synapse'
main()
"""


def run_without(portion: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, '-c', WITHOUT, portion, *args], capture_output=True, text=True, cwd=REPO, timeout=120
    )


def test_dataset_convert_without_the_converters_distribution(tmp_path: Path) -> None:
    done = run_without(
        'synapse_sdk.utils.converters', 'dataset', 'convert', 'examples/data', str(tmp_path / 'out'),
        '--from', 'dm_v2', '--to', 'yolo',
    )  # fmt: skip
    assert done.returncode == 1
    assert 'Traceback' not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == (
        'Error: synapse-sdk-converters is not installed (synapse_sdk.utils.converters is needed here). '
        'Install it with: pip install synapse-sdk-converters (or pip install synapse-sdk)'
    )


def test_storage_command_without_the_storage_distribution(tmp_path: Path) -> None:
    config = tmp_path / 'storage.json'
    config.write_text(json.dumps({'provider': 'local', 'configuration': {'location': str(tmp_path)}}))
    done = run_without('synapse_sdk.utils.storage', 'storage', 'ls', str(config))
    assert done.returncode != 0
    assert 'Traceback' not in done.stderr
    assert 'pip install synapse-sdk-storage' in done.stderr
