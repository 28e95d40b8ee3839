"""The Jobs-mode side channels: params in, result/error/events out, never through text Ray shows.

In: the request (params, env with secrets, language...) is written to a throwaway package folder
``_synapse_payload_<hex>/payload.json`` given to Ray as a ``py_modules`` entry. Ray uploads it to
the cluster's object store under a content hash and the worker imports it from there, so params of
any size and content arrive byte-identical, nothing is interpolated into a shell, and the plugin
folder is never written to. The worker deletes its copy after reading it.

Out: the worker writes ``result.json`` (or ``error.json``) and ``events.jsonl`` under
``<ray logs dir>/synapse/<job id>/`` on its node; the caller reads them through the dashboard's
log-file API. Results never travel as log text.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.core._atomic import atomic_bytes
from synapse_sdk.core.errors import ConfigError

PAYLOAD_PREFIX = '_synapse_payload_'
PAYLOAD_FILE = 'payload.json'
ENV_PAYLOAD_MODULE = 'SYNAPSE_PAYLOAD_MODULE'
ENV_LOGS_DIR = 'SYNAPSE_RAY_LOGS_DIR'
RESULTS_SUBDIR = 'synapse'
RESULT_FILE = 'result.json'
ERROR_FILE = 'error.json'
EVENTS_FILE = 'events.jsonl'
_JOB_ID = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$')


def check_job_id(job_id: str) -> str:
    if not _JOB_ID.match(job_id):
        raise ConfigError(
            f'job id {job_id!r} is not valid: use letters, digits, "_", "-" and "." (at most 128)',
            details={'job_id': job_id},
        )
    return job_id


def new_job_id() -> str:
    return f'synapse-{uuid.uuid4().hex[:16]}'


class PayloadPackage:
    """A temporary package folder holding one job's request; delete it once the job is submitted."""

    def __init__(self, request: Mapping[str, Any]) -> None:
        self.module = f'{PAYLOAD_PREFIX}{uuid.uuid4().hex}'
        self._root = Path(tempfile.mkdtemp(prefix='synapse-payload-'))
        self.path = self._root / self.module
        self.path.mkdir(mode=0o700)
        (self.path / '__init__.py').write_text('', encoding='utf-8')
        fd = os.open(self.path / PAYLOAD_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w', encoding='utf-8') as handle:
            json.dump(request, handle, ensure_ascii=False)

    def cleanup(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> PayloadPackage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cleanup()


def read_payload(module: str | None = None) -> dict[str, Any]:
    """Worker side: load the request shipped with this job, then delete the file."""
    name = module or os.environ.get(ENV_PAYLOAD_MODULE)
    if not name or not name.startswith(PAYLOAD_PREFIX):
        raise ConfigError(f'{ENV_PAYLOAD_MODULE} is not set: this job was not submitted by RayJobsApiExecutor')
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(f'the job payload package {name} is missing on this worker')
    file = Path(next(iter(spec.submodule_search_locations))) / PAYLOAD_FILE
    data = json.loads(file.read_text(encoding='utf-8'))
    try:
        file.unlink()
    except OSError:
        pass
    if not isinstance(data, dict):
        raise ConfigError('the job payload is not a JSON object')
    return data


def logs_dir() -> Path | None:
    """Worker side: the Ray logs folder of this node (where the dashboard can read files)."""
    explicit = os.environ.get(ENV_LOGS_DIR)
    if explicit:
        return Path(explicit)
    try:
        stdout_target = os.readlink('/proc/self/fd/1')
    except OSError:
        stdout_target = ''
    if Path(stdout_target).name.startswith('job-driver-'):
        return Path(stdout_target).parent
    cwd = os.getcwd()
    marker = f'{os.sep}runtime_resources{os.sep}'
    if marker in cwd:
        return Path(cwd.split(marker, 1)[0]) / 'logs'
    return None


def job_dir(base: Path, job_id: str) -> Path:
    folder = base / RESULTS_SUBDIR / check_job_id(job_id)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def relative_file(job_id: str, name: str) -> str:
    """Caller side: the file's name relative to the logs folder, for the dashboard's log API."""
    return f'{RESULTS_SUBDIR}/{check_job_id(job_id)}/{name}'


def write_json(path: Path, data: Any) -> None:
    atomic_bytes(path, json.dumps(data, ensure_ascii=False).encode('utf-8'))
