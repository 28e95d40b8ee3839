"""The embedded backend: what the platform offers, in one SQLite file plus a storage location.

It is the default client when no platform is configured, so every category action runs end to end
on one machine. Several processes (parallel runs, Ray workers on the same host) may use one home
at once: every write is one transaction, files are written atomically under unique keys.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import time
import urllib.request
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from synapse_sdk.clients._local.db import Database, dumps, loads
from synapse_sdk.clients._local.scan import is_categorized, scan_dataset
from synapse_sdk.clients._local.store import FileStore, LocalFileStore, file_url_path, open_store
from synapse_sdk.clients._protocol import PathLike, Record
from synapse_sdk.core._atomic import scratch
from synapse_sdk.core._credentials import synapse_home
from synapse_sdk.core._lazy import import_optional
from synapse_sdk.core._private import PRIVATE_FILE, private_dir, private_file, tighten
from synapse_sdk.core.errors import ConfigError, MissingFileError, NotFoundError
from synapse_sdk.utils.file import calculate_checksum, create_archive, extract_archive

ENV_LOCAL_STORAGE = 'SYNAPSE_LOCAL_STORAGE'
STORAGE_CONFIG_FILE = 'storage.json'
JOB_STATUSES = ('pending', 'running', 'succeeded', 'failed', 'stopped')


def _now() -> float:
    return time.time()


def _storage_config(home: Path, env: Mapping[str, str]) -> Any:
    raw = env.get(ENV_LOCAL_STORAGE)
    source = ENV_LOCAL_STORAGE
    if not raw and (home / STORAGE_CONFIG_FILE).is_file():
        raw = (home / STORAGE_CONFIG_FILE).read_text(encoding='utf-8')
        source = str(home / STORAGE_CONFIG_FILE)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except json.JSONDecodeError as error:
        raise ConfigError(f'{source} is not valid JSON: {error}') from None


class LocalBackend:
    """Datasets, data units, models, projects, tasks, jobs and logs, kept under ``home``.

    ``home`` defaults to ``$SYNAPSE_HOME/local`` (``~/.synapse/local``). ``storage`` is a folder,
    a storage config dict (``{'provider': 's3', 'configuration': {...}}``) or a provider object;
    by default files go to ``<home>/storage``, or wherever ``SYNAPSE_LOCAL_STORAGE`` (JSON) or
    ``<home>/storage.json`` points.
    """

    def __init__(
        self,
        home: PathLike | None = None,
        *,
        storage: Any = None,
        env: Mapping[str, str] | None = None,
    ) -> None:
        environ = os.environ if env is None else env
        if not home:
            private_dir(synapse_home(environ))
        self.home = private_dir(Path(home).expanduser() if home else synapse_home(environ) / 'local')
        self._storage_config = storage if storage is not None else _storage_config(self.home, environ)
        database = private_file(self.home / 'backend.sqlite3')  # SQLite gives -wal/-shm the same mode
        for suffix in ('-wal', '-shm'):
            tighten(f'{database}{suffix}', PRIVATE_FILE)
        self.db = Database(database)
        self.store: FileStore = open_store(self._storage_config, self.home / 'storage')

    def __repr__(self) -> str:
        return f'LocalBackend(home={str(self.home)!r}, store={self.store!r})'

    def __getstate__(self) -> dict[str, Any]:
        return {'home': str(self.home), 'storage': self._storage_config}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state['home'], storage=state['storage'], env={})  # type: ignore[misc]

    def __enter__(self) -> LocalBackend:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------------ datasets
    def register_dataset(self, name: str, path: PathLike, *, format: str = 'dm_v2', replace: bool = False) -> Record:
        """Register the DM dataset folder ``path`` under ``name``; its files stay where they are."""
        root = Path(path).expanduser().resolve()
        if not root.is_dir():
            raise ConfigError(f'dataset folder {root} does not exist', details={'path': str(root)})
        categorized = is_categorized(root)
        units = list(scan_dataset(root))
        now = _now()
        with self.db.write() as cur:
            existing = cur.execute('SELECT id FROM datasets WHERE name = ?', (name,)).fetchone()
            if existing and not replace:
                raise ConfigError(
                    f'a dataset named {name!r} already exists (id {existing[0]}); choose another name or replace it',
                    details={'name': name, 'id': existing[0]},
                )
            if existing:
                cur.execute('DELETE FROM data_units WHERE dataset_id = ?', (existing[0],))
                cur.execute(
                    'UPDATE datasets SET path = ?, format = ?, is_categorized = ? WHERE id = ?',
                    (str(root), format, int(categorized), existing[0]),
                )
                dataset_id = int(existing[0])
            else:
                cur.execute(
                    'INSERT INTO datasets (name, path, format, is_categorized, created_at) VALUES (?, ?, ?, ?, ?)',
                    (name, str(root), format, int(categorized), now),
                )
                dataset_id = int(cur.lastrowid or 0)
            cur.executemany(
                'INSERT INTO data_units (dataset_id, name, split, files, data, created_at) VALUES (?, ?, ?, ?, ?, ?)',
                [(dataset_id, u['name'], u['split'], dumps(u['files']), dumps(u['data']), now) for u in units],
            )
        return self.get_dataset(dataset_id)

    def create_dataset(self, name: str, *, format: str = 'dm_v2', is_categorized: bool = False) -> Record:
        """An empty dataset that data units are added to (by uploads)."""
        with self.db.write() as cur:
            if cur.execute('SELECT 1 FROM datasets WHERE name = ?', (name,)).fetchone():
                raise ConfigError(f'a dataset named {name!r} already exists', details={'name': name})
            cur.execute(
                'INSERT INTO datasets (name, path, format, is_categorized, created_at) VALUES (?, NULL, ?, ?, ?)',
                (name, format, int(is_categorized), _now()),
            )
            dataset_id = int(cur.lastrowid or 0)
        return self.get_dataset(dataset_id)

    def delete_dataset(self, dataset_id: int | str) -> None:
        """Forget a dataset and its data units (registered files stay where they are)."""
        dataset = int(self._dataset_row(dataset_id)['id'])
        with self.db.write() as cur:
            cur.execute(
                'DELETE FROM tasks WHERE data_unit_id IN (SELECT id FROM data_units WHERE dataset_id = ?)', (dataset,)
            )
            cur.execute('DELETE FROM projects WHERE dataset_id = ?', (dataset,))
            cur.execute('DELETE FROM data_units WHERE dataset_id = ?', (dataset,))
            cur.execute('DELETE FROM datasets WHERE id = ?', (dataset,))

    def _dataset_row(self, dataset_id: int | str) -> sqlite3.Row:
        row = self.db.query_one(
            'SELECT d.*, (SELECT COUNT(*) FROM data_units u WHERE u.dataset_id = d.id) AS count '
            'FROM datasets d WHERE d.id = ? OR d.name = ?',
            (_as_int(dataset_id), str(dataset_id)),
        )
        if row is None:
            raise NotFoundError(
                f'no dataset {dataset_id!r}; see `synapse dataset list`', details={'dataset': dataset_id}
            )
        return row

    def get_dataset(self, dataset_id: int | str) -> Record:
        """A dataset by id or name."""
        return _dataset_record(self._dataset_row(dataset_id))

    def list_datasets(self) -> list[Record]:
        rows = self.db.query(
            'SELECT d.*, (SELECT COUNT(*) FROM data_units u WHERE u.dataset_id = d.id) AS count '
            'FROM datasets d ORDER BY d.id'
        )
        return [_dataset_record(r) for r in rows]

    def list_data_units(
        self, dataset_id: int | str, *, filters: Mapping[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[Record]:
        """Data units in id order, fetched a page at a time (memory stays flat on big datasets)."""
        dataset = int(self._dataset_row(dataset_id)['id'])
        filters = dict(filters or {})
        clauses, params = ['dataset_id = ?'], [dataset]
        if filters.get('split'):
            clauses.append('split = ?')
            params.append(filters['split'])
        if filters.get('ids'):
            ids = [int(i) for i in filters['ids']]
            clauses.append(f'id IN ({",".join("?" * len(ids))})')
            params.extend(ids)
        last = 0
        while True:
            rows = self.db.query(
                f'SELECT * FROM data_units WHERE {" AND ".join(clauses)} AND id > ? ORDER BY id LIMIT ?',
                (*params, last, page_size),
            )
            yield from (_unit_record(r) for r in rows)
            if len(rows) < page_size:
                return
            last = int(rows[-1]['id'])

    def create_data_units(self, dataset_id: int | str, units: Sequence[Mapping[str, Any]]) -> list[Record]:
        """Add units ``{name, split?, files, data?, meta?}`` in one transaction."""
        dataset = int(self._dataset_row(dataset_id)['id'])
        now = _now()
        ids: list[int] = []
        with self.db.write() as cur:
            for unit in units:
                if not unit.get('name'):
                    raise ConfigError('every data unit needs a name', details={'unit': dict(unit)})
                cur.execute(
                    'INSERT INTO data_units (dataset_id, name, split, files, data, meta, created_at) '
                    'VALUES (?, ?, ?, ?, ?, ?, ?)',
                    (
                        dataset,
                        unit['name'],
                        unit.get('split'),
                        dumps(unit.get('files') or {}),
                        dumps(unit.get('data')),
                        dumps(unit.get('meta') or {}),
                        now,
                    ),
                )
                ids.append(int(cur.lastrowid or 0))
        if not ids:
            return []
        # One IMMEDIATE transaction: no other writer interleaves, so the new ids form one range.
        rows = self.db.query(
            'SELECT * FROM data_units WHERE dataset_id = ? AND id BETWEEN ? AND ? ORDER BY id',
            (dataset, ids[0], ids[-1]),
        )
        return [_unit_record(r) for r in rows]

    def delete_data_units(self, unit_ids: Sequence[int | str]) -> None:
        ids = [int(i) for i in unit_ids]
        with self.db.write() as cur:
            for start in range(0, len(ids), 500):  # stay under SQLite's bound-parameter limit
                chunk = ids[start : start + 500]
                marks = ','.join('?' * len(chunk))
                cur.execute(f'DELETE FROM tasks WHERE data_unit_id IN ({marks})', chunk)
                cur.execute(f'DELETE FROM data_units WHERE id IN ({marks})', chunk)

    def get_data_unit(self, unit_id: int | str) -> Record:
        row = self.db.query_one('SELECT * FROM data_units WHERE id = ?', (_as_int(unit_id),))
        if row is None:
            raise NotFoundError(f'no data unit {unit_id!r}', details={'data_unit': unit_id})
        return _unit_record(row)

    # ------------------------------------------------------------------ files
    def upload_file(self, path: PathLike, key: str) -> str:
        """Put a file into the backend's storage under ``key``; returns its URL."""
        return self.store.upload(Path(path), key)

    def _key(self, url_or_key: str) -> str:
        local = file_url_path(url_or_key) if '://' in url_or_key else None
        if local is not None and isinstance(self.store, LocalFileStore):
            try:
                return local.resolve().relative_to(self.store.root).as_posix()
            except ValueError:
                raise ConfigError(f'{url_or_key} is not in this backend storage') from None
        return url_or_key

    def delete_file(self, url_or_key: str) -> None:
        self.store.delete(self._key(url_or_key))

    def file_exists(self, url_or_key: str) -> bool:
        return self.store.exists(self._key(url_or_key))

    def download_file(self, url: str, destination: PathLike) -> Path:
        """Copy ``url`` (``file://``, ``http(s)://`` or a storage key) to ``destination``."""
        target = Path(destination)
        target.parent.mkdir(parents=True, exist_ok=True)
        local = file_url_path(url) if url.startswith('file:') else None
        if local is not None:
            if not local.is_file():
                raise NotFoundError(f'file {local} does not exist', details={'url': url})
            shutil.copyfile(local, target)
            return target
        if url.startswith(('http://', 'https://')):
            with urllib.request.urlopen(url, timeout=60) as response, open(target, 'wb') as out:
                shutil.copyfileobj(response, out)
            return target
        return self.store.download(url, target)

    # ------------------------------------------------------------------ models
    def create_model(self, file: PathLike, *, name: str, category: str | None = None, **meta: Any) -> Record:
        """Upload ``file`` (a folder is zipped first) and register it as a model."""
        source = Path(file)
        if not source.exists():
            raise MissingFileError(f'model file {source} does not exist', details={'path': str(source)})
        with scratch('model') as tmp:
            if source.is_dir():
                source = create_archive(source, Path(tmp) / f'{source.name}.zip')
            checksum = calculate_checksum(source, algorithm='sha256')
            key = f'models/{uuid.uuid4().hex}/{source.name}'
            url = self.store.upload(source, key)
            info = {'url': url, 'key': key, 'name': source.name, 'checksum': checksum, 'size': source.stat().st_size}
            try:
                with self.db.write() as cur:
                    cur.execute(
                        'INSERT INTO models (name, category, file, meta, created_at) VALUES (?, ?, ?, ?, ?)',
                        (name, category, dumps(info), dumps(meta), _now()),
                    )
                    model_id = int(cur.lastrowid or 0)
            except BaseException:
                self.store.delete(key)
                raise
        return self.get_model(model_id)

    def get_model(self, model_id: int | str) -> Record:
        row = self.db.query_one('SELECT * FROM models WHERE id = ?', (_as_int(model_id),))
        if row is None:
            raise NotFoundError(f'no model {model_id!r}; see `synapse model list`', details={'model': model_id})
        return _model_record(row)

    def list_models(self, filters: Mapping[str, Any] | None = None) -> list[Record]:
        filters = dict(filters or {})
        clauses, params = ['1 = 1'], []
        for key in ('name', 'category'):
            if filters.get(key):
                clauses.append(f'{key} = ?')
                params.append(filters[key])
        rows = self.db.query(f'SELECT * FROM models WHERE {" AND ".join(clauses)} ORDER BY id', params)
        return [_model_record(r) for r in rows]

    def download_model(self, model_id: int | str, destination: PathLike) -> Path:
        """Copy the model's file to ``destination`` (a folder: the file keeps its name)."""
        model = self.get_model(model_id)
        target = Path(destination)
        if target.is_dir():
            target = target / model['file']['name']
        return self.store.download(model['file']['key'], target)

    def delete_model(self, model_id: int | str) -> None:
        model = self.get_model(model_id)
        with self.db.write() as cur:
            cur.execute('DELETE FROM models WHERE id = ?', (int(model['id']),))
        self.store.delete(model['file']['key'])

    # ------------------------------------------------------------------ projects and tasks
    def create_project(self, name: str, dataset: int | str) -> Record:
        """A project over a dataset, with one pending task per data unit."""
        dataset_id = int(self._dataset_row(dataset)['id'])
        now = _now()
        with self.db.write() as cur:
            cur.execute('INSERT INTO projects (name, dataset_id, created_at) VALUES (?, ?, ?)', (name, dataset_id, now))
            project_id = int(cur.lastrowid or 0)
            cur.execute(
                'INSERT INTO tasks (project_id, data_unit_id, updated_at) '
                'SELECT ?, id, ? FROM data_units WHERE dataset_id = ? ORDER BY id',
                (project_id, now, dataset_id),
            )
        return self.get_project(project_id)

    def get_project(self, project_id: int | str) -> Record:
        row = self.db.query_one(
            'SELECT p.*, (SELECT COUNT(*) FROM tasks t WHERE t.project_id = p.id) AS task_count '
            'FROM projects p WHERE p.id = ?',
            (_as_int(project_id),),
        )
        if row is None:
            raise NotFoundError(f'no project {project_id!r}', details={'project': project_id})
        return {
            'id': row['id'],
            'name': row['name'],
            'dataset': row['dataset_id'],
            'task_count': row['task_count'],
            'meta': loads(row['meta']),
        }

    def list_projects(self) -> list[Record]:
        return [self.get_project(r['id']) for r in self.db.query('SELECT id FROM projects ORDER BY id')]

    def _task_query(self, filters: Mapping[str, Any] | None, extra: str = '') -> tuple[str, list[Any]]:
        filters = dict(filters or {})
        clauses, params = ['1 = 1'], []
        if filters.get('project') is not None:
            clauses.append('t.project_id = ?')
            params.append(int(filters['project']))
        if filters.get('status'):
            clauses.append('t.status = ?')
            params.append(filters['status'])
        if filters.get('ids'):
            ids = [int(i) for i in filters['ids']]
            clauses.append(f't.id IN ({",".join("?" * len(ids))})')
            params.extend(ids)
        if extra:
            clauses.append(extra)
        return ' AND '.join(clauses), params

    _TASK_SELECT = (
        'SELECT t.*, u.id AS u_id, u.dataset_id AS u_dataset_id, u.name AS u_name, u.split AS u_split, '
        'u.files AS u_files, u.data AS u_data, u.meta AS u_meta FROM tasks t JOIN data_units u ON u.id = t.data_unit_id'
    )

    def _iter_tasks(self, where: str, params: list[Any], page_size: int) -> Iterator[Record]:
        last = 0
        while True:
            rows = self.db.query(
                f'{self._TASK_SELECT} WHERE {where} AND t.id > ? ORDER BY t.id LIMIT ?', (*params, last, page_size)
            )
            yield from (_task_record(r) for r in rows)
            if len(rows) < page_size:
                return
            last = int(rows[-1]['id'])

    def list_tasks(self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100) -> Iterator[Record]:
        """Tasks filtered by ``project``, ``status`` or ``ids``, a page at a time."""
        where, params = self._task_query(filters)
        return self._iter_tasks(where, params, page_size)

    def get_task(self, task_id: int | str) -> Record:
        rows = self.db.query(f'{self._TASK_SELECT} WHERE t.id = ?', (_as_int(task_id),))
        if not rows:
            raise NotFoundError(f'no task {task_id!r}', details={'task': task_id})
        return _task_record(rows[0])

    def get_assignments(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100
    ) -> tuple[Iterator[Record], int]:
        """Annotated tasks matching ``filters``, and how many there are."""
        where, params = self._task_query(filters, 't.data IS NOT NULL')
        row = self.db.query_one(f'SELECT COUNT(*) FROM tasks t WHERE {where}', params)
        return self._iter_tasks(where, params, page_size), int(row[0] if row else 0)

    def annotate_task_data(self, task_id: int | str, data: Mapping[str, Any]) -> Record:
        """Store an annotation on a task: ``{'action': 'submit'|'save', 'data': <DM v2>}``."""
        action = data.get('action', 'submit')
        if action not in ('submit', 'save'):
            raise ConfigError(f"unknown annotate action {action!r}; use 'submit' or 'save'")
        annotation = data.get('data')
        if not isinstance(annotation, Mapping):
            raise ConfigError('annotate_task_data needs data={"action": ..., "data": {<DM v2 annotation>}}')
        status = 'submitted' if action == 'submit' else 'in_progress'
        with self.db.write() as cur:
            cur.execute(
                'UPDATE tasks SET data = ?, status = ?, updated_at = ? WHERE id = ?',
                (dumps(annotation), status, _now(), _as_int(task_id)),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f'no task {task_id!r}', details={'task': task_id})
        return self.get_task(task_id)

    # ------------------------------------------------------------------ per-item state of resumable runs
    def set_item_states(self, run_id: str, states: Mapping[str, Mapping[str, Any]]) -> None:
        """Record ``{item_id: {'state': 'queued'|'done'|'failed', 'reason'?: str}}`` for ``run_id`` in one write."""
        now = _now()
        with self.db.write() as cur:
            cur.executemany(
                'INSERT INTO run_items (run_id, item_id, state, reason, attempts, updated_at) '
                'VALUES (?, ?, ?, ?, ?, ?) '
                'ON CONFLICT (run_id, item_id) DO UPDATE SET state = excluded.state, reason = excluded.reason, '
                'attempts = run_items.attempts + excluded.attempts, updated_at = excluded.updated_at',
                [
                    (run_id, str(item), str(s['state']), s.get('reason'), int(s.get('attempts', 0)), now)
                    for item, s in states.items()
                ],
            )

    def list_item_states(self, run_id: str) -> dict[str, Record]:
        """``{item_id: {'state', 'reason', 'attempts', 'updated_at'}}`` recorded for ``run_id``."""
        rows = self.db.query('SELECT * FROM run_items WHERE run_id = ? ORDER BY item_id', (run_id,))
        return {
            r['item_id']: {
                'state': r['state'],
                'reason': r['reason'],
                'attempts': r['attempts'],
                'updated_at': r['updated_at'],
            }
            for r in rows
        }

    # ------------------------------------------------------------------ jobs and logs
    def create_job(self, action: str, params: Mapping[str, Any] | None = None, *, job_id: str | None = None) -> Record:
        now = _now()
        job = job_id or uuid.uuid4().hex
        with self.db.write() as cur:
            cur.execute(
                'INSERT INTO jobs (id, action, status, params, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)',
                (job, action, 'pending', dumps(dict(params or {})), now, now),
            )
        return self.get_job(job)

    def get_job(self, job_id: str) -> Record:
        row = self.db.query_one('SELECT * FROM jobs WHERE id = ?', (job_id,))
        if row is None:
            raise NotFoundError(f'no job {job_id!r}', details={'job': job_id})
        return _job_record(row)

    def list_jobs(self, filters: Mapping[str, Any] | None = None) -> list[Record]:
        status = (filters or {}).get('status')
        rows = (
            self.db.query('SELECT * FROM jobs WHERE status = ? ORDER BY created_at', (status,))
            if status
            else self.db.query('SELECT * FROM jobs ORDER BY created_at')
        )
        return [_job_record(r) for r in rows]

    def update_job(self, job_id: str, **fields: Any) -> Record:
        """Change ``status`` and/or ``result`` of a job."""
        unknown = set(fields) - {'status', 'result'}
        if unknown:
            raise ConfigError(f'update_job accepts status and result, not {", ".join(sorted(unknown))}')
        if 'status' in fields and fields['status'] not in JOB_STATUSES:
            raise ConfigError(f'unknown job status {fields["status"]!r}; use one of {", ".join(JOB_STATUSES)}')
        sets = [f'{key} = ?' for key in fields] + ['updated_at = ?']
        values = [dumps(v) if k == 'result' else v for k, v in fields.items()] + [_now()]
        with self.db.write() as cur:
            cur.execute(f'UPDATE jobs SET {", ".join(sets)} WHERE id = ?', (*values, job_id))
            if cur.rowcount == 0:
                raise NotFoundError(f'no job {job_id!r}', details={'job': job_id})
        return self.get_job(job_id)

    def create_logs(self, job_id: str, entries: Sequence[Mapping[str, Any]]) -> int:
        """Append log entries (event dicts) to a job in one transaction; returns how many."""
        now = _now()
        with self.db.write() as cur:
            cur.executemany(
                'INSERT INTO logs (job_id, entry, created_at) VALUES (?, ?, ?)',
                [(job_id, dumps(dict(e)), now) for e in entries],
            )
        return len(entries)

    def list_logs(self, job_id: str) -> list[Record]:
        rows = self.db.query('SELECT entry FROM logs WHERE job_id = ? ORDER BY id', (job_id,))
        return [loads(r['entry']) for r in rows]

    # ------------------------------------------------------------------ plugin releases
    def find_plugin_release(
        self, plugin: str, *, version: str | None = None, checksum: str | None = None
    ) -> Record | None:
        clauses, params = ['plugin = ?'], [plugin]
        if version:
            clauses.append('version = ?')
            params.append(version)
        if checksum:
            clauses.append('checksum = ?')
            params.append(checksum)
        row = self.db.query_one(
            f'SELECT * FROM plugin_releases WHERE {" AND ".join(clauses)} ORDER BY id DESC LIMIT 1', params
        )
        return _release_record(row) if row else None

    def list_plugin_releases(self, plugin: str | None = None) -> list[Record]:
        rows = (
            self.db.query('SELECT * FROM plugin_releases WHERE plugin = ? ORDER BY id', (plugin,))
            if plugin
            else self.db.query('SELECT * FROM plugin_releases ORDER BY id')
        )
        return [_release_record(r) for r in rows]

    def create_plugin_release(
        self, plugin: str, version: str, file: PathLike, *, config: Mapping[str, Any] | None = None
    ) -> Record:
        """Store a plugin archive; publishing the same content twice returns the first release."""
        source = Path(file)
        checksum = calculate_checksum(source)
        found = self.find_plugin_release(plugin, version=version, checksum=checksum)
        if found:
            return {**found, 'is_cached': True}
        key = f'plugins/{plugin}/{version}/{checksum}{"".join(source.suffixes) or ".zip"}'
        url = self.store.upload(source, key)
        info = {'url': url, 'key': key, 'name': source.name, 'checksum': checksum, 'size': source.stat().st_size}
        try:
            with self.db.write() as cur:
                cur.execute(
                    'INSERT OR IGNORE INTO plugin_releases (plugin, version, checksum, file, config, created_at) '
                    'VALUES (?, ?, ?, ?, ?, ?)',
                    (plugin, version, checksum, dumps(info), dumps(dict(config or {})), _now()),
                )
        except BaseException:
            self.store.delete(key)
            raise
        release = self.find_plugin_release(plugin, version=version, checksum=checksum)
        assert release is not None
        return {**release, 'is_cached': False}

    def run_plugin(self, plugin: str, action: str, params: Mapping[str, Any] | None = None) -> Any:
        """Run ``action`` of a plugin in this process: ``plugin`` is a folder or a published code."""
        # synapse-sdk-plugins depends on core, so it is looked up only when a plugin is run.
        run_plugin = import_optional('synapse_sdk.plugins.runner').run_plugin

        folder = Path(plugin).expanduser()
        if not folder.exists():
            release = self.find_plugin_release(plugin)
            if release is None:
                raise NotFoundError(
                    f'no plugin folder or published plugin {plugin!r}; publish it with `synapse plugin publish`',
                    details={'plugin': plugin},
                )
            folder = self.home / 'plugins' / plugin / release['checksum']
            if not folder.is_dir():
                with scratch('plugin') as tmp:
                    archive = self.store.download(release['file']['key'], Path(tmp) / 'plugin.zip')
                    staging = Path(tmp) / 'plugin'
                    extract_archive(archive, staging)
                    folder.parent.mkdir(parents=True, exist_ok=True)
                    try:
                        os.replace(staging, folder)
                    except OSError:
                        if not folder.is_dir():  # another process extracted it first otherwise
                            raise
        return run_plugin(str(folder), action, dict(params or {}), client=self)


def _as_int(value: int | str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _dataset_record(row: sqlite3.Row) -> Record:
    return {
        'id': row['id'],
        'name': row['name'],
        'path': row['path'],
        'format': row['format'],
        'is_categorized': bool(row['is_categorized']),
        'count': row['count'],
        'created_at': row['created_at'],
    }


def _unit_record(row: sqlite3.Row, prefix: str = '') -> Record:
    return {
        'id': row[f'{prefix}id'],
        'dataset': row[f'{prefix}dataset_id'],
        'name': row[f'{prefix}name'],
        'split': row[f'{prefix}split'],
        'files': loads(row[f'{prefix}files']),
        'data': loads(row[f'{prefix}data']),
        'meta': loads(row[f'{prefix}meta']),
    }


def _task_record(row: sqlite3.Row) -> Record:
    return {
        'id': row['id'],
        'project': row['project_id'],
        'status': row['status'],
        'data': loads(row['data']),
        'data_unit': _unit_record(row, 'u_'),
        'updated_at': row['updated_at'],
    }


def _model_record(row: sqlite3.Row) -> Record:
    return {
        'id': row['id'],
        'name': row['name'],
        'category': row['category'],
        'file': loads(row['file']),
        'meta': loads(row['meta']),
        'created_at': row['created_at'],
    }


def _job_record(row: sqlite3.Row) -> Record:
    return {
        'id': row['id'],
        'action': row['action'],
        'status': row['status'],
        'params': loads(row['params']),
        'result': loads(row['result']),
        'created_at': row['created_at'],
        'updated_at': row['updated_at'],
    }


def _release_record(row: sqlite3.Row) -> Record:
    return {
        'id': row['id'],
        'plugin': row['plugin'],
        'version': row['version'],
        'checksum': row['checksum'],
        'file': loads(row['file']),
        'config': loads(row['config']),
        'created_at': row['created_at'],
    }
