"""Build every distribution and prove each wheel installs and imports on its own.

For each wheel: no file at a namespace level, a ``py.typed`` in every portion; then a fresh
virtual environment gets only that distribution (its dependencies from the index, siblings from
``dist/``) and imports its public modules. Finally ``synapse-sdk[all]`` is installed and the
whole public surface imported, and the Ray shim is checked to give an install hint when
``synapse-sdk-ray`` is absent.

Usage: uv run python scripts/check_wheels.py [--python 3.10 --python 3.13] [--only NAME] [--skip-build]
"""

from __future__ import annotations

import argparse
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parents[1]
DIST = ROOT / 'dist'
NAMESPACES = ('synapse_sdk', 'synapse_sdk/utils')

# distribution -> modules a user imports from it
PUBLIC_MODULES: dict[str, list[str]] = {
    'synapse-sdk-core': [
        'synapse_sdk.core',
        'synapse_sdk.i18n',
        'synapse_sdk.utils.file',
        'synapse_sdk.clients._backend',
        'synapse_sdk.clients._local',
        'synapse_sdk.clients._factory',
    ],
    'synapse-sdk-plugins': [
        'synapse_sdk.plugins',
        'synapse_sdk.plugins.runner',
        'synapse_sdk.plugins.actions._train',
        'synapse_sdk.plugins.actions._export',
        'synapse_sdk.plugins.actions._upload',
        'synapse_sdk.plugins.actions.to_task',
        'synapse_sdk.plugins._upload',
    ],
    'synapse-sdk-storage': ['synapse_sdk.utils.storage'],
    'synapse-sdk-converters': ['synapse_sdk.utils.converters'],
    'synapse-sdk-ray': [
        'synapse_sdk.ray',
        'synapse_sdk.ray._serve.executor',
        'synapse_sdk.ray._serve.replica',
        'ray.serve',
    ],
    'synapse-sdk-cli': ['synapse_sdk.cli._main'],
}

SMOKE = """
import importlib, sys
import synapse_sdk, synapse_sdk.utils
assert synapse_sdk.__file__ is None, 'synapse_sdk must be a namespace package'
assert getattr(synapse_sdk.utils, '__file__', None) is None, 'synapse_sdk.utils must be a namespace package'
for name in sys.argv[1:]:
    importlib.import_module(name)
print('imported', *sys.argv[1:])
"""

RAY_SHIM_HINT = """
try:
    import synapse_sdk.plugins.executors.ray.task
except ImportError as error:
    assert 'pip install "synapse-sdk[ray]"' in str(error), error
    print('ray shim hint ok')
else:
    raise SystemExit('synapse_sdk.plugins.executors.ray.task imported without synapse-sdk-ray installed')
"""


def run(*command: str, **kwargs: object) -> None:
    print('+', ' '.join(command), flush=True)
    subprocess.run(command, check=True, **kwargs)  # type: ignore[call-overload]


def wheel_problems(wheel: pathlib.Path) -> list[str]:
    names = [n for n in zipfile.ZipFile(wheel).namelist() if not n.endswith('/')]
    found = []
    for namespace in NAMESPACES:
        depth = namespace.count('/') + 1
        direct = [n for n in names if n.startswith(f'{namespace}/') and n.count('/') == depth]
        if direct:
            found.append(f'files directly in namespace {namespace}: {direct}')
    portions = {n.rsplit('/', 1)[0] for n in names if n.startswith('synapse_sdk/') and n.endswith('__init__.py')}
    tops = {p for p in portions if not any(p.startswith(q + '/') for q in portions if q != p)}
    for portion in sorted(tops):
        if f'{portion}/py.typed' not in names:
            found.append(f'{portion} has no py.typed')
    return found


def find_python(version: str) -> str:
    """An interpreter for ``version``: pyenv's install if present (its shims hide inactive versions)."""
    root = pathlib.Path(os.environ.get('PYENV_ROOT', pathlib.Path.home() / '.pyenv')) / 'versions'
    for candidate in sorted(root.glob(f'{version}.*/bin/python{version}'), reverse=True):
        return str(candidate)
    return version


def venv(python: str, where: pathlib.Path) -> pathlib.Path:
    run('uv', 'venv', '--quiet', '--python', find_python(python), str(where))
    return where / 'bin' / 'python'


def install(py: pathlib.Path, *requirements: str) -> None:
    # Our wheels keep one version across rebuilds, so uv's cache must not answer for them.
    refresh = [arg for name in (*PUBLIC_MODULES, 'synapse-sdk') for arg in ('--refresh-package', name)]
    run('uv', 'pip', 'install', '--quiet', '--python', str(py), '--find-links', str(DIST), *refresh, *requirements)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument('--python', action='append', default=[], help='interpreter versions (default: current)')
    parser.add_argument('--only', action='append', default=[], help='check only these distributions')
    parser.add_argument('--skip-build', action='store_true')
    args = parser.parse_args()
    pythons = args.python or [f'{sys.version_info.major}.{sys.version_info.minor}']
    if not args.skip_build:
        shutil.rmtree(DIST, ignore_errors=True)
        run('uv', 'build', '--all-packages', '--no-sources', '-o', str(DIST), cwd=ROOT)
    wheels = sorted(DIST.glob('*.whl'))
    expected = {*PUBLIC_MODULES, 'synapse-sdk'}
    built = {w.name.split('-')[0].replace('_', '-') for w in wheels}
    if built != expected:
        print(f'expected wheels for {sorted(expected)}, got {sorted(built)}')
        return 1
    versions = {w.name.split('-')[1] for w in wheels}
    if len(versions) != 1:
        print(f'wheels disagree on the version: {sorted(versions)}')
        return 1
    (version,) = versions  # pin it: a newer release on the index must never stand in for ours
    problems = [f'{w.name}: {p}' for w in wheels for p in wheel_problems(w)]
    if problems:
        print('\n'.join(problems))
        return 1
    env = {**os.environ, 'UV_PYTHON_DOWNLOADS': 'never'}
    os.environ.update(env)
    for python in pythons:
        with tempfile.TemporaryDirectory() as tmp:
            for dist, modules in PUBLIC_MODULES.items():
                if args.only and dist not in args.only:
                    continue
                py = venv(python, pathlib.Path(tmp) / dist)
                install(py, f'{dist}=={version}')
                run(str(py), '-c', SMOKE, *modules)
                if dist == 'synapse-sdk-plugins':
                    run(str(py), '-c', RAY_SHIM_HINT)
            if not args.only:
                py = venv(python, pathlib.Path(tmp) / 'all')
                install(py, f'synapse-sdk[all]=={version}')
                run(str(py), '-c', SMOKE, *(m for mods in PUBLIC_MODULES.values() for m in mods))
                run(str(py.parent / 'synapse'), '--version')
    print('wheel checks passed for Python', ', '.join(pythons))
    return 0


if __name__ == '__main__':
    sys.exit(main())
