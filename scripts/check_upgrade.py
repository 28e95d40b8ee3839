"""Prove the documented ways of upgrading from the published single-package synapse-sdk keep every file.

The published ``synapse-sdk`` (2026.2.17, Python 3.12+) owned all of ``synapse_sdk/``; ours is a
metadata-only meta-package over split distributions. A plain ``pip install -U`` installs the split
distributions first and then removes the old package by its RECORD, deleting files they just wrote.
This script installs the published wheel, upgrades it each documented way, and checks that every
file of every split distribution is present afterwards. It also reports what the plain pip upgrade
loses, so the README's warning stays true.

Usage: uv run python scripts/check_upgrade.py [--published 2026.2.17]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import subprocess
import sys
import tempfile
import zipfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))

from check_wheels import ROOT, find_python


def run(*command: str, cwd: pathlib.Path | None = None) -> str:
    done = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f'failed ({done.returncode}): {" ".join(command)}\n{done.stdout}{done.stderr}')
    return done.stdout


def missing_files(python: pathlib.Path, wheels: list[pathlib.Path]) -> tuple[int, int]:
    """How many of the split wheels' ``synapse_sdk/`` files are absent from the venv, out of how many."""
    site = pathlib.Path(run(str(python), '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])').strip())
    expected = {
        name for wheel in wheels for name in zipfile.ZipFile(wheel).namelist() if name.startswith('synapse_sdk/')
    }
    return sum(not (site / name).exists() for name in expected), len(expected)


def fresh_venv(where: pathlib.Path, old_wheel: pathlib.Path) -> tuple[pathlib.Path, pathlib.Path]:
    """A pip-seeded Python 3.12 venv with the published synapse-sdk installed (without its dependencies)."""
    run(find_python('3.12'), '-m', 'venv', str(where))
    python, pip = where / 'bin' / 'python', where / 'bin' / 'pip'
    run(str(pip), 'install', '--quiet', '--no-deps', str(old_wheel))
    return python, pip


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--published', default='2026.2.17', help='the published single-package version')
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = pathlib.Path(tmp)
        run('uv', 'build', '--quiet', '--all-packages', '--wheel', '--no-sources', '-o', str(root / 'ours'), cwd=ROOT)
        ours = sorted((root / 'ours').glob('*.whl'))
        split = [w for w in ours if not w.name.startswith('synapse_sdk-')]
        download = root / 'published'
        run(find_python('3.12'), '-m', 'venv', str(root / 'fetch'))
        run(
            str(root / 'fetch' / 'bin' / 'pip'), 'download', '--quiet', '--no-deps', '--only-binary=:all:',
            f'synapse-sdk=={args.published}', '-d', str(download),
        )  # fmt: skip
        (old_wheel,) = download.glob('*.whl')

        python, pip = fresh_venv(root / 'plain', old_wheel)
        run(str(pip), 'install', '--quiet', '--no-deps', *map(str, ours))
        lost, total = missing_files(python, split)
        print(f'plain `pip install -U`: {lost} of the {total} files of the split distributions deleted')

        run(str(pip), 'install', '--quiet', '--no-deps', '--force-reinstall', *map(str, split))
        repaired = missing_files(python, split)
        python, pip = fresh_venv(root / 'uninstall-first', old_wheel)
        run(str(pip), 'uninstall', '--quiet', '--yes', 'synapse-sdk')
        run(str(pip), 'install', '--quiet', '--no-deps', *map(str, ours))
        uninstall_first = missing_files(python, split)
        python, _ = fresh_venv(root / 'uv', old_wheel)
        run('uv', 'pip', 'install', '--quiet', '--python', str(python), '--no-deps', *map(str, ours))
        with_uv = missing_files(python, split)

    failed = False
    for name, (gone, count) in {
        'repair with `pip install --force-reinstall --no-deps <split distributions>`': repaired,
        '`pip uninstall synapse-sdk` first': uninstall_first,
        '`uv pip install -U`': with_uv,
    }.items():
        print(f'{name}: {gone} of {count} files missing')
        failed |= gone > 0 or count == 0
    if failed:
        return 1
    print('upgrade checks passed')
    return 0


if __name__ == '__main__':
    os.environ.setdefault('UV_PYTHON_DOWNLOADS', 'never')
    sys.exit(main())
