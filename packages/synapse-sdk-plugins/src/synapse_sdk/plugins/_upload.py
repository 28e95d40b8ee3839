"""Ship plugins: archive, build or download them, and upload once per content checksum.

Names are content-addressed (``dev-<md5>.zip``), so publishing unchanged code again finds the
existing file and uploads nothing. Archives honour ``.gitignore`` (through git when the plugin is
anywhere inside a repository, or by its patterns otherwise) and ``.synapseignore``.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import shutil
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import Enum
from pathlib import Path
from typing import Any

from synapse_sdk.core._atomic import scratch, scratch_dir
from synapse_sdk.core._packing import DEFAULT_EXCLUDES, PackPlan, Skipped, plan_folder
from synapse_sdk.core._secrets import MASK, is_secret, redact_mapping
from synapse_sdk.core.errors import ArchiveError, MissingFileError
from synapse_sdk.plugins.errors import BuildError as BuildError
from synapse_sdk.plugins.errors import PluginUploadError as PluginUploadError
from synapse_sdk.utils.file import calculate_checksum

ProgressCallback = Callable[[str, int, int], None]
KNOWN_SUFFIXES = ('.tar.gz', '.tar.bz2', '.tar.xz', '.whl', '.zip', '.tgz', '.tar', '.gz', '.json', '.yaml', '.txt')


class UploadStage(str, Enum):
    ARCHIVING = 'archiving'
    CHECKSUMMING = 'checksumming'
    BUILDING = 'building'
    UPLOADING = 'uploading'
    VERIFYING = 'verifying'


@dataclass(frozen=True)
class UploadResult:
    url: str
    checksum: str
    filename: str
    size: int
    is_cached: bool = False


@dataclass(frozen=True)
class BuildConfig:
    package_manager: str = 'uv'
    python_path: str | None = None
    extra_args: list[str] = field(default_factory=list)


def _report(callback: ProgressCallback | None, stage: UploadStage, current: int, total: int) -> None:
    if callback is not None:
        callback(stage.value, current, total)


# ---------------------------------------------------------------------------- archives
def plan_plugin(source: str | os.PathLike[str], *, use_git: bool = True) -> PackPlan:
    """What the plugin archive ships and leaves out, and why (:func:`synapse_sdk.core._packing.plan_folder`).

    With git (the plugin anywhere inside a repository), git lists the files; otherwise the
    ``.gitignore`` files at every depth decide. Default excludes, ``.synapseignore``, the symlink
    rule and the content check apply either way.
    """
    src = Path(source)
    if not src.is_dir():
        raise MissingFileError(f'plugin folder {src} does not exist', details={'path': str(src)})
    if use_git and shutil.which('git'):
        try:
            return plan_folder(src, use_git=True)
        except ArchiveError:
            pass  # not inside a repository: the ignore files decide
    return plan_folder(src)


def plugin_files(source: str | os.PathLike[str], *, use_git: bool = True) -> list[str]:
    """Relative paths that go into the plugin archive, sorted; refuses secret-looking files."""
    return plan_plugin(source, use_git=use_git).check().files


def content_checksum(source: Path, files: list[str]) -> str:
    """MD5 over names and contents: unchanged code gives the same checksum whatever the file times."""
    digest = hashlib.md5()
    for name in files:
        digest.update(name.encode() + b'\0')
        with open(source / name, 'rb') as handle:
            while block := handle.read(1024 * 1024):
                digest.update(block)
        digest.update(b'\0')
    return digest.hexdigest()


def archive_plugin(
    source: str | os.PathLike[str],
    archive_path: str | os.PathLike[str] | None = None,
    *,
    use_git: bool = True,
    progress_callback: ProgressCallback | None = None,
) -> tuple[Path, str]:
    """Zip the plugin (reproducibly: fixed timestamps, sorted names); returns ``(zip, checksum)``."""
    src = Path(source)
    files = plugin_files(src, use_git=use_git)
    return _zip_plugin(src, files, archive_path, progress_callback), content_checksum(src, files)


def _zip_plugin(
    src: Path, files: list[str], archive_path: str | os.PathLike[str] | None, progress_callback: ProgressCallback | None
) -> Path:
    """Stream ``files`` into a reproducible zip: memory stays flat whatever the file sizes."""
    import zipfile

    if not files:
        raise PluginUploadError(f'nothing to archive in {src}: every file is ignored')
    target = Path(archive_path) if archive_path else scratch_dir('plugin') / 'archive.zip'
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        with zipfile.ZipFile(target, 'w', zipfile.ZIP_DEFLATED) as archive:
            for index, name in enumerate(files, 1):
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                status = (src / name).stat()
                info.external_attr = (status.st_mode & 0o777) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                info.file_size = status.st_size
                with open(src / name, 'rb') as reader, archive.open(info, 'w') as writer:
                    shutil.copyfileobj(reader, writer, 1024 * 1024)
                _report(progress_callback, UploadStage.ARCHIVING, index, len(files))
    except OSError as error:
        target.unlink(missing_ok=True)
        raise PluginUploadError(f'could not archive {src}: {error}', details={'source': str(src)}) from error
    return target


# ---------------------------------------------------------------------------- storage
def _storage(storage: Any) -> Any:
    if isinstance(storage, Mapping):
        from synapse_sdk.plugins.actions._datasets import resolve_storage

        return resolve_storage(storage)
    if all(hasattr(storage, name) for name in ('upload', 'exists', 'get_url')):
        return storage
    raise PluginUploadError(
        f'storage must be a config dict or an object with upload(), exists() and get_url(), '
        f'not {type(storage).__name__}'
    )


def _put(
    provider: Any, file: Path, key: str, checksum: str, skip_existing: bool, callback: ProgressCallback | None
) -> UploadResult:
    size = file.stat().st_size
    if skip_existing and provider.exists(key):
        return UploadResult(str(provider.get_url(key)), checksum, Path(key).name, size, is_cached=True)
    _report(callback, UploadStage.UPLOADING, 0, 1)
    try:
        url = str(provider.upload(file, key))
    except Exception as error:
        raise PluginUploadError(f'upload of {key} failed: {error}', details={'target': key}) from error
    _report(callback, UploadStage.UPLOADING, 1, 1)
    return UploadResult(url, checksum, Path(key).name, size)


def _key(prefix: str, name: str) -> str:
    prefix = prefix.strip('/')
    return f'{prefix}/{name}' if prefix else name


def archive_and_upload(
    source: str | os.PathLike[str],
    storage: Any,
    *,
    target_prefix: str = '',
    use_git: bool = True,
    skip_existing: bool = True,
    progress_callback: ProgressCallback | None = None,
) -> UploadResult:
    """Zip the plugin and upload it as ``<prefix>/dev-<checksum>.zip`` unless that already exists."""
    provider = _storage(storage)
    archive, checksum = archive_plugin(source, use_git=use_git, progress_callback=progress_callback)
    try:
        return _put(
            provider, archive, _key(target_prefix, f'dev-{checksum}.zip'), checksum, skip_existing, progress_callback
        )
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)


# ---------------------------------------------------------------------------- wheels
WHEEL_NAME = re.compile(r'^(?P<name>[^-]+)-(?P<version>[^-]+)(-(?P<build>\d[^-]*))?-(?P<tags>[^-]+-[^-]+-[^-]+)\.whl$')


def with_build_tag(wheel: Path, checksum: str) -> Path:
    """Rename ``name-1.0-py3-none-any.whl`` to ``name-1.0-0<checksum>-py3-none-any.whl`` (a PEP 427
    build tag, so installers still see the version the metadata declares)."""
    match = WHEEL_NAME.match(wheel.name)
    if not match:
        raise BuildError(f'{wheel.name} is not a wheel file name')
    target = wheel.with_name(f'{match["name"]}-{match["version"]}-0{checksum}-{match["tags"]}.whl')
    return wheel.rename(target)


def _build_command(config: BuildConfig, out_dir: Path) -> list[str]:
    manager = config.package_manager
    if manager == 'uv':
        command = ['uv', 'build', '--wheel', '--out-dir', str(out_dir)]
        if config.python_path:
            command += ['--python', config.python_path]
    elif manager == 'pip':
        command = [config.python_path or 'python', '-m', 'build', '--wheel', '--outdir', str(out_dir)]
    elif manager == 'poetry':
        command = ['poetry', 'build', '--format', 'wheel', '--output', str(out_dir)]
    else:
        raise BuildError(f'unknown package manager {manager!r}; use uv, pip or poetry')
    return command + list(config.extra_args)


def build_and_upload(
    source: str | os.PathLike[str],
    storage: Any,
    *,
    build_config: BuildConfig | None = None,
    target_prefix: str = '',
    skip_existing: bool = True,
    progress_callback: ProgressCallback | None = None,
) -> UploadResult:
    """Build the plugin's wheel (``uv build --wheel``), tag it with the source checksum, upload it."""
    src = Path(source)
    if not (src / 'pyproject.toml').is_file():
        raise BuildError(
            f'{src} has no pyproject.toml; build_and_upload() needs a Python project (or use archive_and_upload)'
        )
    provider = _storage(storage)
    files = plugin_files(src)
    checksum = content_checksum(src, files)
    _report(progress_callback, UploadStage.CHECKSUMMING, 1, 1)
    config = build_config or BuildConfig()
    with scratch('wheel') as tmp:
        out_dir = Path(tmp)
        command = _build_command(config, out_dir)
        _report(progress_callback, UploadStage.BUILDING, 0, 1)
        try:
            done = subprocess.run(command, cwd=src, capture_output=True, text=True, check=False)
        except FileNotFoundError:
            raise BuildError(f'{command[0]} is not installed; install it or choose another package manager') from None
        if done.returncode != 0:
            raise BuildError(
                f'`{" ".join(command[:3])}` failed with exit code {done.returncode}: {done.stderr.strip()[-800:]}',
                details={'stdout': done.stdout[-4000:], 'stderr': done.stderr[-4000:]},
            )
        wheels = sorted(out_dir.glob('*.whl'))
        if len(wheels) != 1:
            raise BuildError(f'expected one wheel from the build, found {len(wheels)}')
        _report(progress_callback, UploadStage.BUILDING, 1, 1)
        wheel = with_build_tag(wheels[0], checksum)
        return _put(provider, wheel, _key(target_prefix, wheel.name), checksum, skip_existing, progress_callback)


# ---------------------------------------------------------------------------- downloads
def _suffix(url: str, content_type: str | None, disposition: str | None, head: bytes) -> str:
    if disposition:
        found = re.search(r'filename\*?=(?:UTF-8\'\')?"?([^";]+)"?', disposition)
        if found:
            url = found.group(1)
    path = urllib.parse.unquote(urllib.parse.urlsplit(url).path).lower()
    for suffix in KNOWN_SUFFIXES:
        if path.endswith(suffix):
            return suffix
    if head.startswith(b'PK\x03\x04'):
        return '.zip'
    if head.startswith(b'\x1f\x8b'):
        return '.tar.gz' if content_type != 'application/gzip' else '.gz'
    guessed = mimetypes.guess_extension((content_type or '').split(';')[0].strip()) if content_type else None
    return guessed or Path(path).suffix or '.bin'


def download_and_upload(
    url: str,
    storage: Any,
    *,
    target_prefix: str = '',
    skip_existing: bool = True,
    timeout: float = 60.0,
    progress_callback: ProgressCallback | None = None,
) -> UploadResult:
    """Fetch ``url`` and upload it as ``dev-<md5><real suffix>`` (a wheel stays a ``.whl``)."""
    provider = _storage(storage)
    with scratch('download') as tmp:
        target = Path(tmp) / 'download'
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(target, 'wb') as out:
                content_type = response.headers.get('Content-Type')
                disposition = response.headers.get('Content-Disposition')
                shutil.copyfileobj(response, out)
        except OSError as error:
            raise PluginUploadError(f'could not download {url}: {error}', details={'url': url}) from error
        with open(target, 'rb') as handle:
            head = handle.read(8)
        checksum = calculate_checksum(target)
        name = f'dev-{checksum}{_suffix(url, content_type, disposition, head)}'
        return _put(provider, target, _key(target_prefix, name), checksum, skip_existing, progress_callback)


# ---------------------------------------------------------------------------- publish
@dataclass
class PublishResult:
    plugin: str
    version: str
    checksum: str
    files: list[str]
    destination: str
    is_cached: bool = False
    release: dict[str, Any] | None = None
    url: str | None = None
    dry_run: bool = False
    excluded: list[Skipped] = field(default_factory=list)
    refused: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def stored_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The plugin config as a backend may keep it: ``env`` and ``runtime_env.env_vars`` keep their
    names, secret values (by name or shape) become ``***``; the rest is redacted by shape."""
    data = dict(config)
    if isinstance(data.get('env'), Mapping):
        data['env'] = {k: MASK if is_secret(str(k), v) else v for k, v in data['env'].items()}
    runtime_env = data.get('runtime_env')
    if isinstance(runtime_env, Mapping):
        runtime_env = dict(runtime_env)
        env_vars = runtime_env.get('env_vars')
        if isinstance(env_vars, Mapping):
            runtime_env['env_vars'] = {k: MASK if is_secret(str(k), v) else v for k, v in env_vars.items()}
        data['runtime_env'] = runtime_env
    return redact_mapping(data)


def _secret_config_values(config: Mapping[str, Any]) -> list[str]:
    names = [str(k) for k, v in (config.get('env') or {}).items() if is_secret(str(k), v)]
    runtime_env = config.get('runtime_env') or {}
    if isinstance(runtime_env, Mapping):
        names += [str(k) for k, v in (runtime_env.get('env_vars') or {}).items() if is_secret(str(k), v)]
    return names


def publish_plugin(
    path: str | os.PathLike[str],
    *,
    client: Any = None,
    storage: Any = None,
    dry_run: bool = False,
    use_git: bool = True,
) -> PublishResult:
    """Publish the plugin at ``path`` to ``storage`` (content-addressed zip) or to a backend
    (a plugin release: the default client when neither is given). Publishing unchanged code is a
    no-op that returns the existing release.

    ``dry_run`` ships nothing and reports what would ship, what is excluded and refused, and why.
    The backend keeps the config with secret ``env`` values replaced by ``***``.
    """
    from synapse_sdk.plugins._config import load_plugin_config

    config, config_file = load_plugin_config(path)
    root = config_file.parent
    plan = plan_plugin(root, use_git=use_git)
    dumped = config.model_dump(mode='json', exclude_none=True)
    warnings = [
        f'config.yaml holds a secret value for {name}: it ships inside the archive. Set it in the environment '
        'of the run (or pass it as a secret) instead'
        for name in _secret_config_values(dumped)
    ]
    checksum = content_checksum(root, plan.files)
    if dry_run:
        return PublishResult(
            config.code,
            config.version,
            checksum,
            plan.files,
            'dry run',
            dry_run=True,
            excluded=plan.excluded,
            refused=plan.refused,
            warnings=warnings,
        )
    plan.check()
    common: dict[str, Any] = {'excluded': plan.excluded, 'warnings': warnings}
    if storage is not None:
        uploaded = archive_and_upload(root, storage, target_prefix=f'{config.code}/{config.version}', use_git=use_git)
        return PublishResult(
            config.code, config.version, checksum, plan.files, 'storage', uploaded.is_cached, url=uploaded.url, **common
        )
    if client is None:
        from synapse_sdk.clients._factory import default_client

        client = default_client()
    if not hasattr(client, 'create_plugin_release'):
        raise PluginUploadError(f'{type(client).__name__} cannot store plugin releases; pass storage= instead')
    archive = _zip_plugin(root, plan.files, None, None)
    try:
        release = client.create_plugin_release(config.code, config.version, archive, config=stored_config(dumped))
    finally:
        shutil.rmtree(archive.parent, ignore_errors=True)
    return PublishResult(
        config.code,
        config.version,
        checksum,
        plan.files,
        type(client).__name__,
        bool(release.get('is_cached')),
        release,
        **common,
    )


__all__ = [
    'DEFAULT_EXCLUDES',
    'BuildConfig',
    'BuildError',
    'PluginUploadError',
    'PublishResult',
    'UploadResult',
    'UploadStage',
    'archive_and_upload',
    'archive_plugin',
    'build_and_upload',
    'download_and_upload',
    'plan_plugin',
    'plugin_files',
    'publish_plugin',
    'stored_config',
    'with_build_tag',
]
