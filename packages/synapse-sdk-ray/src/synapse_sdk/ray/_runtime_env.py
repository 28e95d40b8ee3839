"""Build a Ray runtime_env from a plugin folder.

The plugin's code (``working_dir``, minus what the one packing rule of
:mod:`synapse_sdk.core._packing` leaves out: secret files, clutter, ignore-file matches, outside
symlinks; Ray also honours ``.gitignore``/``.rayignore``), its ``requirements.txt`` under ``pip``
or ``uv``, the wheels it ships in ``wheels/``, its public env vars and, on request, the SDK's own
wheels (``include_sdk``).
"""

from __future__ import annotations

import copy
import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from synapse_sdk.core._packing import DEFAULT_EXCLUDES, plan_folder, read_ignore_lines
from synapse_sdk.core.errors import ConfigError
from synapse_sdk.utils.file import read_requirements

IGNORE_FILE = '.synapseignore'
WORKING_DIR_VAR = '${RAY_RUNTIME_ENV_CREATE_WORKING_DIR}'
PACKAGE_MANAGERS = ('pip', 'uv')
__all__ = ['DEFAULT_EXCLUDES', 'PluginSettings', 'build_runtime_env', 'plugin_excludes', 'read_plugin_settings']


def read_ignore_file(path: Path) -> list[str]:
    """gitignore-style patterns of ``path`` (comments and blanks dropped); empty when absent."""
    return read_ignore_lines(path)


def plugin_excludes(working_dir: str | os.PathLike[str], extra: Sequence[str] = ()) -> list[str]:
    """Ray ``excludes`` for ``working_dir``: exactly what the packing rules leave out, plus ``extra``.

    Ray packs the folder itself, so the plan of :func:`synapse_sdk.core._packing.plan_folder` is
    handed over as anchored paths: secret files, junk, ignore-file matches and symlinks that lead
    out of the folder. Files that look like private keys refuse the submit
    (:class:`~synapse_sdk.core._packing.SecretFileError`).
    """
    plan = plan_folder(working_dir).check()
    return list(dict.fromkeys([*plan.ray_excludes(), *extra]))


@dataclass
class PluginSettings:
    """What a plugin's ``config.yaml`` says about how to build its environment."""

    package_manager: str = 'pip'
    package_manager_options: list[str] = field(default_factory=list)
    wheels_dir: str = 'wheels'
    env: dict[str, Any] = field(default_factory=dict)
    runtime_env: dict[str, Any] = field(default_factory=dict)
    name: str | None = None


def read_plugin_settings(working_dir: str | os.PathLike[str] | None) -> PluginSettings:
    """Settings from the plugin's ``config.yaml`` (or ``synapse.yaml``); defaults when there is none.

    Read with the plugins' own parser, so a plugin means the same thing locally and on Ray.
    """
    if working_dir is None:
        return PluginSettings()
    from synapse_sdk.plugins._config import CONFIG_FILE_NAMES, load_plugin_config

    folder = Path(working_dir)
    if not any((folder / name).is_file() for name in CONFIG_FILE_NAMES):
        return PluginSettings()
    config, _ = load_plugin_config(folder)
    return PluginSettings(
        package_manager=str(getattr(config.package_manager, 'value', config.package_manager)),
        package_manager_options=list(config.package_manager_options),
        wheels_dir=config.wheels_dir,
        env=dict(config.env),
        runtime_env=dict(config.runtime_env),
        name=config.code or config.name or None,
    )


def _requirements(path: Path | None) -> tuple[list[str], list[str]]:
    """``(packages, installer options)`` of a requirements file."""
    if path is None:
        return [], []
    lines = read_requirements(path) or []
    packages: list[str] = []
    options: list[str] = []
    for line in lines:
        if line.startswith('-'):
            options.extend(shlex.split(line))
        else:
            packages.append(line)
    return packages, options


def _check_wheels_are_shipped(wheels: Path) -> None:
    """Ray honours ``.gitignore`` when it uploads the plugin: a ``*`` there hides the wheels from workers."""
    ignore = wheels / '.gitignore'
    if '*' in read_ignore_file(ignore) and any(wheels.glob('*.whl')):
        raise ConfigError(
            f'{ignore} ignores every file (`uv build -o` writes one), so Ray would upload the plugin without '
            'its wheels and installing them would fail on the worker. Delete that .gitignore, or build the '
            'wheels elsewhere and copy them in.',
            details={'file': str(ignore)},
        )


def build_runtime_env(
    *,
    working_dir: str | os.PathLike[str] | None = None,
    runtime_env: Mapping[str, Any] | None = None,
    requirements_file: str | os.PathLike[str] | None = None,
    package_manager: str | None = None,
    package_manager_options: Sequence[str] | None = None,
    wheels_dir: str | None = None,
    env_vars: Mapping[str, str] | None = None,
    sdk_modules: Sequence[str | os.PathLike[str]] = (),
) -> dict[str, Any]:
    """A runtime_env dict with ``working_dir`` as a local path (the Jobs API uploads it).

    Settings not given fall back to the plugin's ``config.yaml``; the user's ``runtime_env`` wins
    over anything derived here.
    """
    settings = read_plugin_settings(working_dir)
    result: dict[str, Any] = copy.deepcopy(dict(settings.runtime_env))
    result.update(copy.deepcopy(dict(runtime_env or {})))

    root = Path(working_dir).resolve() if working_dir is not None else None
    if root is not None:
        if not root.is_dir():
            raise ConfigError(f'working_dir {root} is not a folder', details={'working_dir': str(root)})
        result.setdefault('working_dir', str(root))
        result['excludes'] = plugin_excludes(root, result.get('excludes') or ())

    manager = str(getattr(package_manager, 'value', package_manager) or settings.package_manager)
    if manager not in PACKAGE_MANAGERS:
        raise ConfigError(f'package_manager must be one of {", ".join(PACKAGE_MANAGERS)}, not {manager!r}')
    req_path = Path(requirements_file) if requirements_file else (root / 'requirements.txt' if root else None)
    if requirements_file and not Path(requirements_file).is_file():
        raise ConfigError(f'requirements file {requirements_file} does not exist')
    packages, options = _requirements(req_path)
    wheels = root / (wheels_dir or settings.wheels_dir) if root else None
    if wheels is not None and wheels.is_dir():
        _check_wheels_are_shipped(wheels)
        rel = wheels.relative_to(root) if root else wheels
        packages += [f'{WORKING_DIR_VAR}/{rel.as_posix()}/{whl.name}' for whl in sorted(wheels.glob('*.whl'))]
    options += list(
        package_manager_options if package_manager_options is not None else settings.package_manager_options
    )
    if packages or options:
        section = result.get(manager) or {}
        if isinstance(section, (list, tuple)):
            section = {'packages': list(section)}
        section = dict(section)
        section['packages'] = list(dict.fromkeys([*section.get('packages', []), *packages]))
        option_key = 'pip_install_options' if manager == 'pip' else 'uv_pip_install_options'
        if options:
            section[option_key] = list(dict.fromkeys([*section.get(option_key, []), *options]))
        result[manager] = section

    merged_env = {str(k): str(v) for k, v in (result.get('env_vars') or {}).items()}
    merged_env.update(env_vars or {})
    if merged_env:
        result['env_vars'] = merged_env
    if sdk_modules:
        result['py_modules'] = [*result.get('py_modules', []), *(str(Path(m)) for m in sdk_modules)]
    return result
