"""Find (or build) the SDK's own wheels so workers without the SDK can run plugins.

Used by ``include_sdk=True``. The wheels are looked up in ``SYNAPSE_SDK_WHEELS`` (a folder, used as
it is), else the workspace's ``dist/``, and built there with ``uv build`` when missing or older than
the sources (so a worker never runs yesterday's code). They are then unpacked
into one merged tree (``synapse_sdk/`` plus each portion's ``.dist-info``) whose folders go into
the runtime_env's ``py_modules``: Ray puts them on the worker's ``PYTHONPATH`` as they are, where a
``.whl`` entry would need ``pip`` in the raylet's environment (uv-made environments have none).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from pathlib import Path

from synapse_sdk.core._atomic import staging_dir
from synapse_sdk.core._version import sdk_version
from synapse_sdk.core.errors import ConfigError
from synapse_sdk.utils.file import extract_archive

ENV_WHEELS = 'SYNAPSE_SDK_WHEELS'
WORKSPACE_DIST = 'dist'  # where a workspace keeps its built wheels (rebuilt when older than the sources)
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


def _older_than_sources(wheels: Sequence[Path], root: Path) -> bool:
    """True when a shipped portion's source changed after its wheel was built (the workspace's own dist/)."""
    sources = [root / 'packages' / dist.replace('_', '-') for dist in WORKER_DISTS]
    newest = max(
        (
            p.stat().st_mtime
            for folder in sources
            for p in folder.rglob('*')
            if p.is_file() and '__pycache__' not in p.parts
        ),
        default=0.0,
    )
    return min(w.stat().st_mtime for w in wheels) < newest


def find_sdk_wheels(*, build: bool = True) -> list[Path]:
    version = sdk_version()
    explicit = os.environ.get(ENV_WHEELS)
    folder = Path(explicit) if explicit else None
    root = _workspace_root()
    if folder is None and root is not None:
        folder = root / WORKSPACE_DIST
    if folder is None:
        raise ConfigError(
            f'include_sdk=True needs the SDK wheels: set {ENV_WHEELS} to a folder holding them '
            '(build them with `uv build --all-packages --wheel`)'
        )
    wheels = _pick(folder, version) if folder.is_dir() else []
    stale = not explicit and root is not None and len(wheels) == len(WORKER_DISTS) and _older_than_sources(wheels, root)
    if (len(wheels) < len(WORKER_DISTS) or stale) and build and root is not None and shutil.which('uv'):
        for dist in WORKER_DISTS:
            command = ['uv', 'build', '--wheel', '--package', dist.replace('_', '-'), '-o', str(folder)]
            done = subprocess.run(command, cwd=root, capture_output=True, text=True)
            if done.returncode != 0:
                raise ConfigError(
                    f'include_sdk=True: building the SDK wheels failed ({" ".join(command)}):\n'
                    + '\n'.join(done.stderr.strip().splitlines()[-10:]),
                    details={'folder': str(folder)},
                )
        wheels = _pick(folder, version)
    if len(wheels) < len(WORKER_DISTS):
        raise ConfigError(
            f'include_sdk=True: SDK {version} wheels not found in {folder} '
            f'(need {", ".join(WORKER_DISTS)}); build them with `uv build --all-packages --wheel -o {folder}`'
        )
    return wheels


@functools.lru_cache(maxsize=32)
def _content_digest(path: str, mtime_ns: int, size: int) -> bytes:
    """A wheel's sha256, read once per (file, mtime, size): every submit asks for it."""
    return hashlib.sha256(Path(path).read_bytes()).digest()


def unpacked_sdk(wheels: Sequence[Path]) -> Path:
    """The wheels unpacked into one merged tree next to them, reused while the wheels are the same."""
    digest = hashlib.sha256()
    for wheel in sorted(wheels):
        stat = wheel.stat()
        digest.update(wheel.name.encode())
        digest.update(_content_digest(str(wheel), stat.st_mtime_ns, stat.st_size))
    folder = Path(wheels[0]).parent / '.unpacked'
    target = folder / digest.hexdigest()[:16]
    if target.is_dir():
        return target
    staging = staging_dir(target)
    try:
        merged = staging / 'tree'
        merged.mkdir()
        for index, wheel in enumerate(wheels):
            part = extract_archive(wheel, staging / f'part{index}')
            shutil.copytree(part, merged, dirs_exist_ok=True)
        try:
            os.replace(merged, target)
        except OSError:  # another process unpacked the same wheels first
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def sdk_py_modules(*, build: bool = True) -> list[str]:
    """``py_modules`` entries that make the SDK importable (with its version metadata) on a worker."""
    tree = unpacked_sdk(find_sdk_wheels(build=build))
    return [str(tree / 'synapse_sdk'), *(str(p) for p in sorted(tree.glob('*.dist-info')))]
