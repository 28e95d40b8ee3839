"""The embedded backend's SQLite file: schema, connections and write transactions.

WAL mode lets readers work while one writer commits; every write runs in ``BEGIN IMMEDIATE`` so
two processes writing at once queue on the busy timeout instead of failing or losing rows.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 2
BUSY_TIMEOUT_SECONDS = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL UNIQUE,
    path TEXT,
    format TEXT NOT NULL,
    is_categorized INTEGER NOT NULL DEFAULT 0,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS data_units (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    dataset_id INTEGER NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
    name TEXT NOT NULL,
    split TEXT,
    files TEXT NOT NULL DEFAULT '{}',
    data TEXT,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS data_units_dataset ON data_units(dataset_id, id);
CREATE TABLE IF NOT EXISTS models (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    category TEXT,
    file TEXT NOT NULL,
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS projects (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    dataset_id INTEGER REFERENCES datasets(id),
    meta TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS tasks (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id INTEGER NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
    data_unit_id INTEGER NOT NULL REFERENCES data_units(id),
    status TEXT NOT NULL DEFAULT 'pending',
    data TEXT,
    updated_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_project ON tasks(project_id, id);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY,
    action TEXT NOT NULL,
    status TEXT NOT NULL,
    params TEXT NOT NULL DEFAULT '{}',
    result TEXT,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS logs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id TEXT NOT NULL,
    entry TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS logs_job ON logs(job_id, id);
CREATE TABLE IF NOT EXISTS run_items (
    run_id TEXT NOT NULL,
    item_id TEXT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    updated_at REAL NOT NULL,
    PRIMARY KEY (run_id, item_id)
);
CREATE TABLE IF NOT EXISTS plugin_releases (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    plugin TEXT NOT NULL,
    version TEXT NOT NULL,
    checksum TEXT NOT NULL,
    file TEXT NOT NULL,
    config TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL,
    UNIQUE (plugin, version, checksum)
);
"""


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(',', ':'), default=str)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class Database:
    """One SQLite file shared by threads (a connection each) and processes (WAL + busy timeout)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self._init_schema()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f'PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}')
        conn.execute('PRAGMA foreign_keys = ON')
        conn.execute('PRAGMA synchronous = NORMAL')
        return conn

    @property
    def connection(self) -> sqlite3.Connection:
        # A forked child must not reuse its parent's connection.
        conn: sqlite3.Connection | None = getattr(self._local, 'conn', None)
        if conn is None or getattr(self._local, 'pid', None) != os.getpid():
            conn = self._connect()
            self._local.conn = conn
            self._local.pid = os.getpid()
        return conn

    def _schema_current(self) -> bool:
        try:
            row = self.connection.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        except sqlite3.OperationalError:  # a new file: no tables yet
            return False
        return row is not None and row[0] == str(SCHEMA_VERSION)

    def _init_schema(self) -> None:
        # Opening an existing home is read-only: no write lock for every run that starts.
        if self._schema_current():
            return
        conn = self.connection
        if conn.execute('PRAGMA journal_mode').fetchone()[0].lower() != 'wal':
            conn.execute('PRAGMA journal_mode = WAL')
        with self.write() as cur:
            # executescript() would commit the open transaction, so run the statements one by one.
            for statement in SCHEMA.split(';'):
                if statement.strip():
                    cur.execute(statement)
            cur.execute('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)', ('schema', str(SCHEMA_VERSION)))

    @contextlib.contextmanager
    def write(self) -> Iterator[sqlite3.Cursor]:
        """A write transaction: taken at once (``IMMEDIATE``), committed or rolled back as a whole."""
        conn = self.connection
        cur = conn.cursor()
        cur.execute('BEGIN IMMEDIATE')
        try:
            yield cur
        except BaseException:
            conn.execute('ROLLBACK')
            raise
        else:
            conn.execute('COMMIT')
        finally:
            cur.close()

    def query(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[sqlite3.Row]:
        return self.connection.execute(sql, params).fetchall()

    def query_one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.connection.execute(sql, params).fetchone()
        return row

    def close(self) -> None:
        conn: sqlite3.Connection | None = getattr(self._local, 'conn', None)
        if conn is not None and getattr(self._local, 'pid', None) == os.getpid():
            conn.close()
        self._local = threading.local()
