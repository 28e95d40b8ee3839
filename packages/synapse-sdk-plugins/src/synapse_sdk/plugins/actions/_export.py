"""``BaseExportAction``: fetch annotated data, convert it to any format, write it to any storage."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, Field

from synapse_sdk.i18n import LogMessageCode
from synapse_sdk.plugins.actions._base import CategoryAction, P
from synapse_sdk.plugins.actions._datasets import (
    convert_dataset,
    copy_folder,
    materialise_units,
    normalise_format,
    resolve_storage,
    upload_folder,
)
from synapse_sdk.plugins.enums import PluginCategory


class ExportProgressCategories:
    DATASET_CONVERSION = 'dataset_conversion'


class ExportParams(BaseModel):
    """Parameters of the default export: what to fetch, which format, where to write."""

    name: str = 'export'
    target: Literal['assignment', 'task', 'ground_truth'] = 'assignment'
    filter: dict[str, Any] = Field(default_factory=dict)
    format: str = 'dm_v2'
    storage: dict[str, Any] | int | None = None  # a storage config, or the id of a platform storage
    path: str = 'export'
    save_original_file: bool = True


def as_unit(item: Mapping[str, Any]) -> dict[str, Any]:
    """A task/assignment (``{data_unit, data}``) or a data unit, as ``{name, split, files, data}``."""
    unit = item.get('data_unit')
    if isinstance(unit, Mapping):
        return {
            'name': unit.get('name') or f'task_{item.get("id")}',
            'split': unit.get('split'),
            'files': unit.get('files') or {},
            'data': item.get('data'),
        }
    return {
        'name': item.get('name') or str(item.get('id')),
        'split': item.get('split'),
        'files': item.get('files') or {},
        'data': item.get('data'),
    }


class BaseExportAction(CategoryAction[P]):
    """Base for ``export`` actions.

    Override :meth:`get_filtered_results` to choose what is exported, or :meth:`execute` for a
    custom flow; the default ``execute`` exports ``params.filter`` results in ``params.format``
    to ``params.storage`` (a local folder when no storage is given).
    """

    category = PluginCategory.EXPORT
    progress: ClassVar[type[ExportProgressCategories]] = ExportProgressCategories

    def get_filtered_results(self, filters: dict[str, Any]) -> tuple[Iterable[dict[str, Any]], int]:
        """``(results, count)`` for ``params.target``: assignments (default), tasks or a dataset."""
        client = self.backend
        target = self.param('target', default='assignment')
        if target == 'task':
            tasks = list(client.list_tasks(filters))
            return tasks, len(tasks)
        if target == 'ground_truth':
            dataset = filters.get('dataset') or filters.get('ground_truth_dataset_version')
            if dataset is None:
                raise ValueError("target 'ground_truth' needs filter={'dataset': <id>}")
            rest = {k: v for k, v in filters.items() if k not in ('dataset', 'ground_truth_dataset_version')}
            return client.list_data_units(dataset, filters=rest), int(client.get_dataset(dataset).get('count') or 0)
        return client.get_assignments(filters)

    def export(
        self,
        results: Iterable[Mapping[str, Any]],
        count: int,
        *,
        format: str = 'dm_v2',
        storage: Any = None,
        path: str | Path = 'export',
        save_original_file: bool = True,
    ) -> dict[str, Any]:
        """Write ``results`` as a DM dataset, convert it to ``format``, put it in ``storage``/``path``."""
        target = normalise_format(format)
        work = self.temp_dir('synapse-export-')
        self.log_message(LogMessageCode.EXPORT_STARTED, count=count)
        self.set_progress(0, max(count, 1), self.progress.DATASET_CONVERSION)
        units: Iterator[dict[str, Any]] = (as_unit(item) for item in results)
        written, skipped, categorized = materialise_units(
            units,
            work / 'dm',
            self.backend.download_file,
            with_original=save_original_file,
            progress=lambda i, n: self.set_progress(i, n, self.progress.DATASET_CONVERSION),
            total=count,
        )
        folder = work / 'dm'
        folder.mkdir(exist_ok=True)
        if target != 'dm_v2':
            self.log_message(LogMessageCode.DATASET_CONVERSION_STARTED, count=written, format=target)
            folder = convert_dataset(folder, 'dm_v2', target, work / target, is_categorized=categorized)
            self.log_message(LogMessageCode.DATASET_CONVERSION_COMPLETED, count=written, format=target)
        if isinstance(storage, int) and not isinstance(storage, bool):
            lookup = getattr(self.backend, 'get_storage', None)
            if lookup is None:
                raise ValueError(f'storage {storage!r} is an id, but this backend has no storages; pass a config dict')
            storage = {k: v for k, v in lookup(storage).items() if k in ('provider', 'configuration')}
        provider = resolve_storage(storage)
        if provider is None:
            destination = copy_folder(folder, Path(path))
            files = sum(1 for p in destination.rglob('*') if p.is_file())
            location = str(destination.resolve())
        else:
            uploaded = upload_folder(provider, folder, str(path))
            files = len(uploaded)
            location = str(provider.get_url(str(path).strip('/'))) if hasattr(provider, 'get_url') else str(path)
        self.log_message(LogMessageCode.EXPORT_COMPLETED, count=written)
        return {
            'exported': written,
            'skipped': skipped,
            'total': count,
            'format': target,
            'files': files,
            'path': str(path),
            'location': location,
        }

    def execute(self) -> Any:
        results, count = self.get_filtered_results(dict(self.param('filter', default={})))
        return self.export(
            results,
            count,
            format=self.param('format', default='dm_v2'),
            storage=self.param('storage'),
            path=self.param('path', default='export'),
            save_original_file=self.param('save_original_file', default=True),
        )
