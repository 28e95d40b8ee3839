"""The runtime_env built from a plugin folder, secret handling and error transport (no cluster needed)."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pytest

from synapse_sdk.core._version import sdk_version
from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins.errors import ExecutionError, ParamsValidationError
from synapse_sdk.ray import _sdk_wheels as sdk_wheels
from synapse_sdk.ray._executor_base import RayExecutorBase
from synapse_sdk.ray._remote_errors import describe_exception, rebuild_exception
from synapse_sdk.ray._runtime_env import WORKING_DIR_VAR, build_runtime_env
from synapse_sdk.ray._sdk_wheels import WORKER_DISTS, find_sdk_wheels
from synapse_sdk.ray._secrets import Secret, split_env
from synapse_sdk.ray.errors import RemoteError


def _plugin(tmp_path: Path, manager: str = 'pip') -> Path:
    (tmp_path / 'config.yaml').write_text(
        f'name: p\ncode: p\nversion: 1.0.0\ncategory: custom\npackage_manager: {manager}\n'
        'env:\n  FROM_CONFIG: yes-please\nactions:\n  a:\n    entrypoint: p.m:A\n',
        encoding='utf-8',
    )
    (tmp_path / 'requirements.txt').write_text(
        '# deps\nnumpy>=1.20\n--extra-index-url https://example.invalid/simple\nrequests==2.32.0  # pinned\n',
        encoding='utf-8',
    )
    (tmp_path / 'wheels').mkdir()
    (tmp_path / 'wheels' / 'mylib-1.0-py3-none-any.whl').write_bytes(b'PK')
    (tmp_path / '.synapseignore').write_text('# local only\ndata/\n*.ckpt\n', encoding='utf-8')
    return tmp_path


def test_pip_requirements_options_wheels_and_excludes(tmp_path: Path):
    for clutter in ('.git/HEAD', '.venv/bin/python', 'pkg/__pycache__/m.pyc', 'data/x.bin', 'model.ckpt', '.env.local'):
        (tmp_path / clutter).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / clutter).write_text('x', encoding='utf-8')
    env = build_runtime_env(working_dir=_plugin(tmp_path), env_vars={'A': '1'})
    assert env['working_dir'] == str(tmp_path.resolve())
    assert env['pip']['packages'] == [
        'numpy>=1.20',
        'requests==2.32.0',
        f'{WORKING_DIR_VAR}/wheels/mylib-1.0-py3-none-any.whl',
    ]
    assert env['pip']['pip_install_options'] == ['--extra-index-url', 'https://example.invalid/simple']
    assert set(env['excludes']) == {'/.git/', '/.venv/', '/pkg/__pycache__/', '/data/', '/model.ckpt', '/.env.local'}
    assert env['env_vars'] == {'A': '1'}


def test_uv_package_manager_from_config_and_user_runtime_env_wins(tmp_path: Path):
    env = build_runtime_env(
        working_dir=_plugin(tmp_path, 'uv'),
        runtime_env={'env_vars': {'B': '2'}, 'uv': ['extra-pkg'], 'working_dir': 'gcs://given.zip'},
        package_manager_options=['--no-cache'],
    )
    assert 'pip' not in env
    assert env['uv']['packages'][0] == 'extra-pkg' and 'numpy>=1.20' in env['uv']['packages']
    assert env['uv']['uv_pip_install_options'] == ['--extra-index-url', 'https://example.invalid/simple', '--no-cache']
    assert env['working_dir'] == 'gcs://given.zip' and env['env_vars'] == {'B': '2'}


def test_bad_settings_are_config_errors(tmp_path: Path):
    with pytest.raises(ConfigError, match='package_manager'):
        build_runtime_env(working_dir=_plugin(tmp_path), package_manager='conda')
    with pytest.raises(ConfigError, match='not a folder'):
        build_runtime_env(working_dir=tmp_path / 'missing')


def test_secrets_never_reach_the_runtime_env(tmp_path: Path):
    executor = RayExecutorBase(
        {'API_TOKEN': 't', 'AWS_SECRET_ACCESS_KEY': 's', 'MY_SETTING': Secret('hidden'), 'LEVEL': 'debug'},
        working_dir=_plugin(tmp_path),
        runtime_env={'env_vars': {'API_TOKEN': 't'}},
        secrets={'DB_URL': 'postgres://u:p@h/db'},
        include_credentials=False,
    )
    env_vars = executor.build_runtime_env()['env_vars']
    assert env_vars == {'FROM_CONFIG': 'yes-please', 'LEVEL': 'debug'}
    assert executor.secret_env == {
        'API_TOKEN': 't',
        'AWS_SECRET_ACCESS_KEY': 's',
        'MY_SETTING': 'hidden',
        'DB_URL': 'postgres://u:p@h/db',
    }
    assert 'hidden' not in repr(Secret('hidden'))
    public, secret = split_env({'PASSWORD': 'x', 'HOST': 'h'})
    assert public == {'HOST': 'h'} and secret == {'PASSWORD': 'x'}


def _fake_wheel(folder: Path, dist: str, version: str) -> Path:
    """A minimal wheel: one module of the portion plus its ``.dist-info``."""
    wheel = folder / f'{dist}-{version}-py3-none-any.whl'
    portion = dist.removeprefix('synapse_sdk_')
    with zipfile.ZipFile(wheel, 'w') as archive:
        archive.writestr(f'synapse_sdk/{portion}/marker.py', f'NAME = {portion!r}\n')
        archive.writestr(f'{dist}-{version}.dist-info/METADATA', f'Name: {dist}\nVersion: {version}\n')
    return wheel


def test_include_sdk_ships_one_merged_sdk_tree_with_its_metadata(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    version = sdk_version()
    for dist in WORKER_DISTS:
        _fake_wheel(tmp_path, dist, version)
    monkeypatch.setenv('SYNAPSE_SDK_WHEELS', str(tmp_path))
    env = RayExecutorBase(include_sdk=True, include_credentials=False).build_runtime_env()
    modules = [Path(p) for p in env['py_modules']]
    assert modules[0].name == 'synapse_sdk'
    assert sorted(p.name for p in modules[0].iterdir()) == sorted(d.removeprefix('synapse_sdk_') for d in WORKER_DISTS)
    assert not (modules[0] / '__init__.py').exists()  # still a namespace package on the worker
    assert sorted(p.name for p in modules[1:]) == sorted(f'{dist}-{version}.dist-info' for dist in WORKER_DISTS)
    again = RayExecutorBase(include_sdk=True, include_credentials=False).build_runtime_env()
    assert again['py_modules'] == env['py_modules']  # unpacked once, reused while the wheels are the same


def test_workspace_wheels_older_than_the_sources_are_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    version = sdk_version()
    stale = [_fake_wheel(tmp_path, dist, version) for dist in WORKER_DISTS]
    for wheel in stale:
        os.utime(wheel, (1_000_000, 1_000_000))  # built long before the sources last changed
    monkeypatch.delenv('SYNAPSE_SDK_WHEELS', raising=False)
    monkeypatch.setattr(sdk_wheels, 'WORKSPACE_DIST', str(tmp_path))  # the workspace's dist/, moved aside
    wheels = sdk_wheels.find_sdk_wheels()
    assert [w.name for w in wheels] == [w.name for w in stale]
    core = next(w for w in wheels if w.name.startswith('synapse_sdk_core-'))
    assert 'synapse_sdk/core/errors.py' in zipfile.ZipFile(core).namelist()  # a real build replaced the fake


def test_include_sdk_without_wheels_says_how_to_build_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv('SYNAPSE_SDK_WHEELS', str(tmp_path))
    with pytest.raises(ConfigError, match='uv build --all-packages'):
        find_sdk_wheels(build=False)


def test_remote_errors_come_back_typed():
    try:
        try:
            raise KeyError('missing')
        except KeyError as inner:
            raise ExecutionError('Action failed', original=inner) from inner
    except ExecutionError as error:
        rebuilt = rebuild_exception(describe_exception(error))
    assert type(rebuilt) is ExecutionError and str(rebuilt) == 'Action failed'
    assert isinstance(rebuilt.__cause__, KeyError) and rebuilt.original is rebuilt.__cause__
    assert 'raise KeyError' in rebuilt.__cause__.remote_traceback  # type: ignore[attr-defined]

    invalid = rebuild_exception(describe_exception(ParamsValidationError('a', [{'loc': ('x',), 'msg': 'bad'}])))
    assert isinstance(invalid, ParamsValidationError) and invalid.errors == [{'loc': ['x'], 'msg': 'bad'}]

    class Custom(Exception):
        pass

    unknown = rebuild_exception(describe_exception(Custom('odd')))
    assert isinstance(unknown, RemoteError) and unknown.remote_type.endswith('Custom') and 'odd' in str(unknown)
