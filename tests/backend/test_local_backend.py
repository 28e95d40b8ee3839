from __future__ import annotations

import hashlib
import pickle
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from synapse_sdk.clients._factory import default_client
from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.clients._protocol import BackendProtocol
from synapse_sdk.core.errors import ConfigError, NotFoundError


def test_is_the_default_without_platform_credentials(tmp_path: Path) -> None:
    client = default_client({'SYNAPSE_HOME': str(tmp_path), 'SYNAPSE_HOST': '', 'SYNAPSE_ACCESS_TOKEN': ''})
    assert isinstance(client, LocalBackend)
    assert isinstance(client, BackendProtocol)
    assert client.home == tmp_path / 'local'
    assert (tmp_path / 'local' / 'backend.sqlite3').is_file()
    mode = sqlite3.connect(tmp_path / 'local' / 'backend.sqlite3').execute('PRAGMA journal_mode').fetchone()[0]
    assert mode == 'wal'


def test_register_dataset_by_path_keeps_files_in_place(backend: LocalBackend, dm_dataset: Path) -> None:
    dataset = backend.register_dataset('cars', dm_dataset)
    assert dataset['count'] == 4 and dataset['path'] == str(dm_dataset.resolve())
    assert dataset['is_categorized'] is False
    units = list(backend.list_data_units('cars', page_size=3))  # by name, across two pages
    assert [u['name'] for u in units] == ['img_000', 'img_001', 'img_002', 'img_003']
    first = units[0]
    assert first['files']['original_files']['is_primary'] is True
    assert first['data']['images'][0]['bounding_box'][0]['classification'] == 'person'
    target = backend.download_file(first['files']['original_files']['url'], dm_dataset.parent / 'copy.png')
    assert target.read_bytes() == (dm_dataset / 'original_files' / 'img_000.png').read_bytes()
    with pytest.raises(ConfigError, match="dataset named 'cars' already exists"):
        backend.register_dataset('cars', dm_dataset)
    assert backend.register_dataset('cars', dm_dataset, replace=True)['count'] == 4


def test_categorized_dataset_keeps_splits(backend: LocalBackend, tmp_path: Path, dm_factory) -> None:
    root = dm_factory(tmp_path / 'split', 2, splits=('train', 'valid'))
    dataset = backend.register_dataset('split', root)
    assert dataset['is_categorized'] is True and dataset['count'] == 4
    assert {u['split'] for u in backend.list_data_units(dataset['id'])} == {'train', 'valid'}
    assert len(list(backend.list_data_units(dataset['id'], filters={'split': 'valid'}))) == 2


def test_not_a_dm_folder_is_a_clear_error(backend: LocalBackend, tmp_path: Path) -> None:
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ConfigError, match='is not a DM dataset'):
        backend.register_dataset('x', tmp_path / 'empty')
    with pytest.raises(NotFoundError, match='synapse dataset list'):
        backend.get_dataset(999)


def test_model_file_round_trips_and_folder_is_zipped(backend: LocalBackend, tmp_path: Path) -> None:
    weights = tmp_path / 'best.pt'
    weights.write_bytes(b'\x00weights' * 1000)
    model = backend.create_model(weights, name='yolo', category='detection', epochs=3)
    assert (
        model['meta'] == {'epochs': 3} and model['file']['checksum'] == hashlib.sha256(weights.read_bytes()).hexdigest()
    )
    copy = backend.download_model(model['id'], tmp_path / 'out.pt')
    assert copy.read_bytes() == weights.read_bytes()
    folder = tmp_path / 'run'
    (folder / 'weights').mkdir(parents=True)
    (folder / 'weights' / 'last.pt').write_bytes(b'abc')
    zipped = backend.create_model(folder, name='folder-model')
    assert zipped['file']['name'] == 'run.zip'
    assert [m['name'] for m in backend.list_models()] == ['yolo', 'folder-model']
    backend.delete_model(model['id'])
    assert not backend.file_exists(model['file']['url'])
    with pytest.raises(NotFoundError):
        backend.get_model(model['id'])


def test_tasks_annotations_and_assignments(backend: LocalBackend, dm_dataset: Path) -> None:
    project = backend.create_project('review', backend.register_dataset('cars', dm_dataset)['id'])
    assert project['task_count'] == 4
    tasks = list(backend.list_tasks({'project': project['id']}))
    assert [t['status'] for t in tasks] == ['pending'] * 4
    _, count = backend.get_assignments({'project': project['id']})
    assert count == 0
    annotation: dict[str, object] = {'images': [{'bounding_box': []}]}
    done = backend.annotate_task_data(tasks[1]['id'], {'action': 'submit', 'data': annotation})
    assert done['status'] == 'submitted' and done['data'] == annotation
    items, count = backend.get_assignments({'project': project['id']})
    assert count == 1 and [i['id'] for i in items] == [tasks[1]['id']]
    with pytest.raises(ConfigError, match='DM v2 annotation'):
        backend.annotate_task_data(tasks[0]['id'], {'action': 'submit', 'data': 'nope'})


def test_jobs_and_batched_logs(backend: LocalBackend) -> None:
    job = backend.create_job('train', {'epochs': 1})
    assert job['status'] == 'pending'
    backend.create_logs(job['id'], [{'kind': 'log', 'n': i} for i in range(3)])
    assert [e['n'] for e in backend.list_logs(job['id'])] == [0, 1, 2]
    assert backend.update_job(job['id'], status='succeeded', result={'ok': True})['result'] == {'ok': True}
    with pytest.raises(ConfigError, match='unknown job status'):
        backend.update_job(job['id'], status='weird')


def test_survives_pickling_for_other_processes(backend: LocalBackend, dm_dataset: Path) -> None:
    backend.register_dataset('cars', dm_dataset)
    clone = pickle.loads(pickle.dumps(backend))
    assert clone.get_dataset('cars')['count'] == 4


def test_failed_transaction_leaves_nothing(backend: LocalBackend, dm_dataset: Path) -> None:
    dataset = backend.register_dataset('cars', dm_dataset)
    with pytest.raises(ConfigError, match='needs a name'):
        backend.create_data_units(dataset['id'], [{'name': 'ok', 'files': {}}, {'files': {}}])
    assert backend.get_dataset(dataset['id'])['count'] == 4


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from synapse_sdk.clients._local import LocalBackend

    home, tag, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    backend = LocalBackend(home)
    weights = Path(home).parent / f'{tag}.bin'
    weights.write_bytes(tag.encode() * 100)
    job = backend.create_job('train', job_id=f'job-{tag}')
    for i in range(count):
        backend.create_model(weights, name=f'{tag}-{i}')
        backend.create_logs(job['id'], [{'i': i, 'tag': tag}])
        backend.create_data_units('shared', [{'name': f'{tag}-{i}', 'files': {}}])
    """
)


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    home = tmp_path / 'home'
    LocalBackend(home).create_dataset('shared')
    procs = [
        subprocess.Popen([sys.executable, '-c', WRITER, str(home), tag, '40'], stderr=subprocess.PIPE)
        for tag in ('a', 'b')
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    backend = LocalBackend(home)
    names = sorted(m['name'] for m in backend.list_models())
    assert len(names) == 80 and len(set(names)) == 80
    assert backend.get_dataset('shared')['count'] == 80
    assert len(backend.list_logs('job-a')) == 40 and len(backend.list_logs('job-b')) == 40
    for model in backend.list_models():
        assert (
            backend.download_model(model['id'], tmp_path / 'm.bin').read_bytes().startswith(model['name'][0].encode())
        )


def test_thousands_of_units_in_one_call(backend: LocalBackend) -> None:
    backend.create_dataset('big')
    created = backend.create_data_units('big', [{'name': f'u{i}', 'files': {}} for i in range(5000)])
    assert [u['name'] for u in created[:2]] == ['u0', 'u1'] and len(created) == 5000
    backend.delete_data_units([u['id'] for u in created[:4000]])
    assert backend.get_dataset('big')['count'] == 1000
