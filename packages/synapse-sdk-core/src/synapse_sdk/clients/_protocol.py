"""The one interface category actions use to talk to a backend.

Both the platform REST client (:class:`synapse_sdk.clients._backend.BackendClient`) and the embedded
:class:`synapse_sdk.clients._local.LocalBackend` satisfy :class:`BackendProtocol`, so an action runs
unchanged on a laptop, on a Ray worker or against the platform.

Records are plain JSON-able dicts. The shapes every implementation returns:

- dataset: ``{id, name, path?, format, is_categorized, count}``
- data unit: ``{id, dataset, name, split, files: {spec: {url, name, is_primary}}, data}``
  (``data`` is the DM v2 annotation or ``None``)
- model: ``{id, name, category, file: {url, name, checksum, size}, meta, created_at}``
- project: ``{id, name, dataset}``
- task: ``{id, project, status, data_unit: <data unit>, data}``
- assignment: a task that has an annotation (``data``)
- job: ``{id, action, status, params, result, created_at, updated_at}``
- plugin release: ``{id, plugin, version, checksum, file: {url, name, checksum, size}, config}``
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from synapse_sdk.core.errors import UnsupportedOperationError as UnsupportedOperationError

Record = dict[str, Any]
PathLike = str | os.PathLike[str]


@runtime_checkable
class BackendProtocol(Protocol):
    """What category actions may ask of a backend."""

    # datasets and their data units
    def get_dataset(self, dataset_id: int | str) -> Record: ...

    def list_datasets(self) -> list[Record]: ...

    def list_data_units(
        self, dataset_id: int | str, *, filters: Mapping[str, Any] | None = None, page_size: int = 100
    ) -> Iterator[Record]: ...

    def create_data_units(self, dataset_id: int | str, units: Sequence[Mapping[str, Any]]) -> list[Record]: ...

    def delete_data_units(self, unit_ids: Sequence[int | str]) -> None: ...

    # models
    def get_model(self, model_id: int | str) -> Record: ...

    def list_models(self, filters: Mapping[str, Any] | None = None) -> list[Record]: ...

    def create_model(self, file: PathLike, *, name: str, **meta: Any) -> Record: ...

    def download_model(self, model_id: int | str, destination: PathLike) -> Path: ...

    # projects, tasks, assignments
    def get_project(self, project_id: int | str) -> Record: ...

    def list_tasks(self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100) -> Iterator[Record]: ...

    def get_task(self, task_id: int | str) -> Record: ...

    def get_assignments(
        self, filters: Mapping[str, Any] | None = None, *, page_size: int = 100
    ) -> tuple[Iterator[Record], int]: ...

    def annotate_task_data(self, task_id: int | str, data: Mapping[str, Any]) -> Record: ...

    # files (data unit files, model files)
    def upload_file(self, path: PathLike, key: str) -> str: ...

    def delete_file(self, url_or_key: str) -> None: ...

    def download_file(self, url: str, destination: PathLike) -> Path: ...

    # jobs and their logs
    def create_job(
        self, action: str, params: Mapping[str, Any] | None = None, *, job_id: str | None = None
    ) -> Record: ...

    def get_job(self, job_id: str) -> Record: ...

    def update_job(self, job_id: str, **fields: Any) -> Record: ...

    def create_logs(self, job_id: str, entries: Sequence[Mapping[str, Any]]) -> int: ...

    def list_logs(self, job_id: str) -> list[Record]: ...

    # plugins
    def run_plugin(self, plugin: str, action: str, params: Mapping[str, Any] | None = None) -> Any: ...
