"""The workspace promises: PEP 420 namespaces, lockstep versions, exact sibling pins, light imports."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys

import synapse_sdk
import synapse_sdk.utils

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = pathlib.Path(__file__).resolve().parents[2]
MEMBERS = {
    data['project']['name']: data['project']
    for data in (tomllib.loads(p.read_text()) for p in sorted(ROOT.glob('packages/*/pyproject.toml')))
}
PIN = re.compile(r'^(?P<name>synapse-sdk(?:-[a-z]+)?)(?:\[[^\]]*\])?\s*(?P<spec>.*)$')
HEAVY = ('ray', 'numpy', 'PIL', 'fsspec', 's3fs', 'gcsfs', 'sshfs', 'aiohttp', 'upath')


def test_seven_distributions() -> None:
    assert set(MEMBERS) == {
        'synapse-sdk',
        'synapse-sdk-core',
        'synapse-sdk-plugins',
        'synapse-sdk-storage',
        'synapse-sdk-converters',
        'synapse-sdk-ray',
        'synapse-sdk-cli',
    }


def test_synapse_sdk_and_utils_are_namespaces() -> None:
    assert synapse_sdk.__file__ is None
    assert getattr(synapse_sdk.utils, '__file__', None) is None
    assert len(list(synapse_sdk.__path__)) == 6  # one portion per code distribution


def test_no_member_ships_a_namespace_init_or_marker() -> None:
    for level in ('synapse_sdk', 'synapse_sdk/utils'):
        assert list(ROOT.glob(f'packages/*/src/{level}/__init__.py')) == []
        assert list(ROOT.glob(f'packages/*/src/{level}/py.typed')) == []


def test_versions_in_lockstep() -> None:
    versions = {project['version'] for project in MEMBERS.values()}
    assert len(versions) == 1, versions


def test_sibling_pins_match_the_workspace_version() -> None:
    # uv ignores these specifiers for workspace sources, so a stale pin only shows on PyPI.
    (version,) = {project['version'] for project in MEMBERS.values()}
    stale = []
    for name, project in MEMBERS.items():
        requirements = list(project.get('dependencies', []))
        for extra in project.get('optional-dependencies', {}).values():
            requirements += extra
        for requirement in requirements:
            match = PIN.match(requirement)
            if match and match['name'] in MEMBERS and match['name'] != name and match['spec'] != f'=={version}':
                stale.append((name, requirement))
    assert stale == []


def test_meta_package_extras() -> None:
    extras = MEMBERS['synapse-sdk']['optional-dependencies']
    assert {'s3', 'gcs', 'sftp', 'http', 'ray', 'all'} <= set(extras)
    assert MEMBERS['synapse-sdk']['requires-python'] == '>=3.10'
    assert all(p['requires-python'] == '>=3.10' for p in MEMBERS.values())


def _loaded_after(statement: str) -> set[str]:
    code = f'{statement}\nimport sys\nprint(" ".join(sorted({{m.split(".")[0] for m in sys.modules}})))'
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    return set(out.split())


def test_light_imports_stay_light() -> None:
    for statement in ('import synapse_sdk.plugins', 'import synapse_sdk.i18n', 'import synapse_sdk.core'):
        assert _loaded_after(statement).isdisjoint(HEAVY), statement


def test_cli_help_does_not_import_heavy_libraries() -> None:
    loaded = _loaded_after(
        'import sys\nsys.argv = ["synapse", "--help"]\n'
        'from synapse_sdk.cli._main import app\n'
        'try:\n    app()\nexcept SystemExit:\n    pass'
    )
    assert 'typer' in loaded
    assert loaded.isdisjoint(HEAVY)
