"""Find (or build) the SDK's own wheels so workers without the SDK can run plugins.

Used by ``include_sdk=True``: the wheels go into the runtime_env's ``py_modules``, which Ray
installs on the worker. Looked up in ``SYNAPSE_SDK_WHEELS`` (a folder), else the workspace's
``dist/``; built there with ``uv build`` when missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.core.version import sdk_version

ENV_WHEELS = 'SYNAPSE_SDK_WHEELS'
# The portions a worker needs; the CLI and the meta-package are not.
WORKER_DISTS = (
    'synapse_sdk_core',
    'synapse_sdk_plugins',
    'synapse_sdk_ray',
    'synapse_sdk_storage',
    'synapse_sdk_converters',
)


def _workspace_root() -> Path | None:
    for parent in Path(__file__).resolve().parents:
        if (parent / 'packages' / 'synapse-sdk-core').is_dir() and (parent / 'pyproject.toml').is_file():
            return parent
    return None


def _pick(folder: Path, version: str) -> list[Path]:
    found = []
    for dist in WORKER_DISTS:
        matches = sorted(folder.glob(f'{dist}-{version}-*.whl'))
        if matches:
            found.append(matches[-1])
    return found


def find_sdk_wheels(*, build: bool = True) -> list[Path]:
    version = sdk_version()
    explicit = os.environ.get(ENV_WHEELS)
    folder = Path(explicit) if explicit else None
    root = _workspace_root()
    if folder is None and root is not None:
        folder = root / 'dist'
    if folder is None:
        raise ConfigError(
            f'include_sdk=True needs the SDK wheels: set {ENV_WHEELS} to a folder holding them '
            '(build them with `uv build --all-packages --wheel`)'
        )
    wheels = _pick(folder, version) if folder.is_dir() else []
    if len(wheels) < len(WORKER_DISTS) and build and root is not None and shutil.which('uv'):
        for dist in WORKER_DISTS:
            subprocess.run(
                ['uv', 'build', '--wheel', '--package', dist.replace('_', '-'), '-o', str(folder)],
                cwd=root,
                check=True,
                capture_output=True,
            )
        wheels = _pick(folder, version)
    if len(wheels) < len(WORKER_DISTS):
        raise ConfigError(
            f'include_sdk=True: SDK {version} wheels not found in {folder} '
            f'(need {", ".join(WORKER_DISTS)}); build them with `uv build --all-packages --wheel -o {folder}`'
        )
    return wheels
