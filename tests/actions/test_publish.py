"""Plugin packaging (archive, wheel, download) and ``synapse plugin publish`` / dataset / model commands."""

from __future__ import annotations

import http.server
import shutil
import subprocess
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from synapse_sdk.cli._backend_commands import register
from synapse_sdk.clients._local import LocalBackend, LocalFileStore
from synapse_sdk.plugins._upload import (
    BuildError,
    archive_and_upload,
    build_and_upload,
    download_and_upload,
    plugin_files,
    publish_plugin,
)

EXAMPLE = Path(__file__).resolve().parents[2] / 'examples' / 'to_task_plugin'


@pytest.fixture
def plugin(tmp_path: Path) -> Path:
    root = tmp_path / 'plugin'
    shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns('__pycache__'))
    (root / '.gitignore').write_text('# build output\nouts/\n*.tmp\n')
    (root / '.synapseignore').write_text('notes.md\n')
    (root / 'outs').mkdir()
    (root / 'outs' / 'big.bin').write_bytes(b'x' * 100)
    (root / 'scratch.tmp').write_text('tmp')
    (root / 'notes.md').write_text('private')
    (root / '__pycache__').mkdir()
    (root / '__pycache__' / 'x.pyc').write_bytes(b'')
    return root


EXPECTED = [
    '.gitignore',
    '.synapseignore',
    'config.yaml',
    'to_task_example/__init__.py',
    'to_task_example/inference.py',
    'to_task_example/to_task.py',
]


def test_ignore_files_are_honoured_without_git(plugin: Path) -> None:
    assert plugin_files(plugin, use_git=False) == EXPECTED


@pytest.mark.skipif(shutil.which('git') is None, reason='git is not installed')
def test_git_decides_in_a_monorepo_sub_folder(plugin: Path, tmp_path: Path) -> None:
    repo = tmp_path
    subprocess.run(['git', 'init', '-q', str(repo)], check=True)
    assert not (plugin / '.git').exists()  # the plugin is a sub-folder of the repository
    assert plugin_files(plugin) == EXPECTED


def test_archive_and_upload_is_content_addressed_and_idempotent(plugin: Path, tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / 'bucket')
    first = archive_and_upload(plugin, store, target_prefix='plugins', use_git=False)
    (plugin / 'config.yaml').touch()  # new mtime, same content
    again = archive_and_upload(plugin, store, target_prefix='plugins', use_git=False)
    assert first.is_cached is False and again.is_cached is True and first.url == again.url
    assert first.filename == f'dev-{first.checksum}.zip'
    stored = list((tmp_path / 'bucket' / 'plugins').iterdir())
    assert len(stored) == 1
    assert sorted(zipfile.ZipFile(stored[0]).namelist()) == EXPECTED
    (plugin / 'config.yaml').write_text((plugin / 'config.yaml').read_text() + '\n# changed\n')
    assert archive_and_upload(plugin, store, target_prefix='plugins', use_git=False).is_cached is False


def test_build_and_upload_tags_the_wheel_with_the_checksum(tmp_path: Path) -> None:
    if shutil.which('uv') is None:
        pytest.fail('uv is not on PATH: the peer tools run in throw-away uv environments')
    project = tmp_path / 'proj'
    (project / 'src' / 'tiny_plugin').mkdir(parents=True)
    (project / 'src' / 'tiny_plugin' / '__init__.py').write_text('VALUE = 1\n')
    (project / 'pyproject.toml').write_text(
        '[project]\nname = "tiny-plugin"\nversion = "1.2.0"\n'
        '[build-system]\nrequires = ["uv_build>=0.8,<0.14"]\nbuild-backend = "uv_build"\n'
    )
    store = LocalFileStore(tmp_path / 'bucket')
    result = build_and_upload(project, store)
    assert result.filename == f'tiny_plugin-1.2.0-0{result.checksum}-py3-none-any.whl'
    wheel = tmp_path / 'bucket' / result.filename
    assert 'tiny_plugin/__init__.py' in zipfile.ZipFile(wheel).namelist()
    assert build_and_upload(project, store).is_cached is True
    (project / 'pyproject.toml').unlink()
    with pytest.raises(BuildError, match='no pyproject.toml'):
        build_and_upload(project, store)


@pytest.fixture
def file_server(tmp_path: Path) -> Iterator[str]:
    """A real HTTP file server on loopback for download_and_upload."""
    root = tmp_path / 'served'
    root.mkdir()
    with zipfile.ZipFile(root / 'pkg-1.0-py3-none-any.whl', 'w') as z:
        z.writestr('pkg/__init__.py', '')
    (root / 'blob').write_bytes((root / 'pkg-1.0-py3-none-any.whl').read_bytes())

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(root), **kwargs)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{server.server_address[1]}'
    server.shutdown()
    server.server_close()


def test_download_and_upload_keeps_the_real_file_type(file_server: str, tmp_path: Path) -> None:
    store = LocalFileStore(tmp_path / 'bucket')
    wheel = download_and_upload(f'{file_server}/pkg-1.0-py3-none-any.whl', store)
    assert wheel.filename == f'dev-{wheel.checksum}.whl'
    sniffed = download_and_upload(f'{file_server}/blob', store, target_prefix='x')
    assert sniffed.filename.endswith('.zip') and sniffed.is_cached is False
    assert download_and_upload(f'{file_server}/blob', store, target_prefix='x').is_cached is True


def cli() -> typer.Typer:
    app = typer.Typer()
    groups = {name: typer.Typer() for name in ('dataset', 'model', 'plugin')}
    register(groups['dataset'], groups['model'], groups['plugin'])
    for name, group in groups.items():
        app.add_typer(group, name=name)
    return app


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {'SYNAPSE_HOME': str(tmp_path / 'home'), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''}


def test_publish_command_dry_run_then_idempotent(plugin: Path, env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    dry = runner.invoke(cli(), ['plugin', 'publish', '--path', str(plugin), '--dry-run', '--no-git'], env=env)
    assert dry.exit_code == 0, dry.output
    shipped, _, excluded = dry.output.partition('Excluded')
    assert 'to_task_example/to_task.py' in shipped and 'notes.md' not in shipped and 'Dry run' in dry.output
    assert 'notes.md  [.synapseignore: notes.md]' in excluded
    backend = LocalBackend(tmp_path / 'home' / 'local')
    assert backend.list_plugin_releases() == []
    first = runner.invoke(cli(), ['plugin', 'publish', '--path', str(plugin), '--no-git'], env=env)
    second = runner.invoke(cli(), ['plugin', 'publish', '--path', str(plugin), '--no-git'], env=env)
    assert first.exit_code == 0 and 'published: release 1' in first.output, first.output
    assert second.exit_code == 0 and 'already published' in second.output
    releases = backend.list_plugin_releases('to-task-example')
    assert len(releases) == 1 and releases[0]['version'] == '1.0.0'


def test_published_plugin_runs_by_code(plugin: Path, tmp_path: Path, dm_factory: Any) -> None:
    backend = LocalBackend(tmp_path / 'home')
    publish_plugin(plugin, client=backend, use_git=False)
    image = dm_factory(tmp_path / 'img', 1) / 'original_files' / 'img_000.png'
    result = backend.run_plugin('to-task-example', 'inference', {'image_path': str(image)})
    assert result == {'boxes': [[0, 0, 8, 6, 'object']]}


def test_publish_errors_are_one_clear_line(tmp_path: Path, env: dict[str, str]) -> None:
    result = CliRunner().invoke(cli(), ['plugin', 'publish', '--path', str(tmp_path)], env=env)
    assert result.exit_code == 1 and 'No config.yaml' in result.output and 'Traceback' not in result.output


def test_dataset_and_model_commands(env: dict[str, str], tmp_path: Path, dm_factory: Any) -> None:
    runner = CliRunner()
    root = dm_factory(tmp_path / 'dm', 3)
    done = runner.invoke(cli(), ['dataset', 'register', 'cars', str(root)], env=env)
    assert done.exit_code == 0 and "Registered dataset 'cars' (id 1): 3 items" in done.output
    again = runner.invoke(cli(), ['dataset', 'register', 'cars', str(root)], env=env)
    assert again.exit_code == 1 and 'already exists' in again.output and 'Traceback' not in again.output
    listed = runner.invoke(cli(), ['dataset', 'list', '--json'], env=env)
    assert '"name": "cars"' in listed.output
    backend = LocalBackend(tmp_path / 'home' / 'local')
    weights = tmp_path / 'w.bin'
    weights.write_bytes(b'123')
    backend.create_model(weights, name='m1')
    models = runner.invoke(cli(), ['model', 'list'], env=env)
    assert models.exit_code == 0 and 'm1' in models.output and 'w.bin' in models.output
    missing = runner.invoke(cli(), ['dataset', 'register', 'x', str(tmp_path / 'nope')], env=env)
    assert missing.exit_code == 1 and 'does not exist' in missing.output
