"""``BaseTrainAction``: training with dataset and model helpers on any backend."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from synapse_sdk.core.errors import ConfigError, MissingFileError
from synapse_sdk.i18n import LogMessageCode
from synapse_sdk.plugins.actions._base import CategoryAction, P
from synapse_sdk.plugins.actions._datasets import DatasetInfo, convert_dataset, materialise_units, normalise_format
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.utils.file import extract_archive


class TrainProgressCategories:
    """Progress categories of a training run."""

    DATASET = 'dataset'
    TRAIN = 'train'
    MODEL_UPLOAD = 'model_upload'


class BaseTrainAction(CategoryAction[P]):
    """Base for ``neural_net`` train actions.

    ``get_dataset()`` puts the params' dataset on local disk (converted if asked),
    ``create_model(path, **meta)`` uploads the weights and registers them, ``get_model(id)`` gets
    a model with its file downloaded.
    """

    category = PluginCategory.NEURAL_NET
    progress: ClassVar[type[TrainProgressCategories]] = TrainProgressCategories

    def get_dataset(
        self,
        dataset_id: int | str | None = None,
        *,
        format: str | None = None,
        output_dir: str | Path | None = None,
    ) -> DatasetInfo:
        """The dataset (``params.dataset`` or ``params.dataset_id`` unless given) as a local folder.

        A dataset already on this machine is used in place; otherwise its data units are downloaded
        into a DM folder. With ``format`` ('yolo', 'coco', 'pascal', ...) the result is converted.
        """
        wanted = dataset_id if dataset_id is not None else self.param('dataset', 'dataset_id')
        if wanted is None:
            raise ConfigError(
                f'{type(self).__name__}.get_dataset() needs a dataset: add `dataset: int` to the params '
                'model or call get_dataset(dataset_id)'
            )
        client = self.backend
        self.log_message(LogMessageCode.DATASET_DOWNLOAD_STARTING, dataset_id=wanted)
        record = client.get_dataset(wanted)
        count = int(record.get('count') or 0)
        self.set_progress(0, max(count, 1), self.progress.DATASET)
        local = Path(record['path']) if record.get('path') else None
        source_format = normalise_format(record.get('format') or 'dm_v2')
        if local is not None and local.is_dir():
            source, categorized = local, bool(record.get('is_categorized'))
        else:
            if output_dir:
                source = Path(output_dir) / 'dm' if format else Path(output_dir)
            else:
                source = self.temp_dir('synapse-dataset-')
            written, _, categorized = materialise_units(
                client.list_data_units(record.get('id', wanted)),
                source,
                client.download_file,
                progress=lambda i, n: self.set_progress(i, n, self.progress.DATASET),
                total=count,
            )
            count = written
        self.set_progress(max(count, 1), max(count, 1), self.progress.DATASET)
        self.log_message(LogMessageCode.DATASET_DOWNLOAD_COMPLETED, count=count)
        path, result_format = source, source_format
        if format and normalise_format(format) != source_format:
            target = normalise_format(format)
            self.log_message(LogMessageCode.DATASET_CONVERSION_STARTED, count=count, format=target)
            # the converter writes a new folder (it refuses to overwrite one)
            out = (Path(output_dir) if output_dir else self.temp_dir(f'synapse-{target}-')) / target
            path = convert_dataset(source, source_format, target, out, is_categorized=categorized)
            result_format = target
            self.log_message(LogMessageCode.DATASET_CONVERSION_COMPLETED, count=count, format=target)
        return DatasetInfo(
            id=record.get('id', wanted),
            name=str(record.get('name') or wanted),
            path=path,
            format=result_format,
            is_categorized=categorized,
            count=count,
            source_path=source,
            record=dict(record),
        )

    def create_model(self, path: str | Path, **meta: Any) -> dict[str, Any]:
        """Upload the file (or folder, zipped) at ``path`` and register it as a model.

        ``name`` defaults to ``params.name`` or the action name; other keyword arguments are kept
        as the model's metadata.
        """
        source = Path(path)
        if not source.exists():
            raise MissingFileError(
                f'create_model(): {source} does not exist; pass the trained weights file or folder',
                details={'path': str(source)},
            )
        name = str(meta.pop('name', None) or self.param('name') or f'{self.action_name or "train"}-model')
        self.log_message(LogMessageCode.MODEL_UPLOAD_STARTED, name=name)
        self.set_progress(0, 1, self.progress.MODEL_UPLOAD)
        model = self.backend.create_model(source, name=name, **meta)
        self.set_progress(1, 1, self.progress.MODEL_UPLOAD)
        self.log_message(LogMessageCode.MODEL_UPLOAD_COMPLETED, model_id=model.get('id'))
        return model

    def get_model(
        self, model_id: int | str, *, download: bool = True, output_dir: str | Path | None = None
    ) -> dict[str, Any]:
        """A model record; with ``download`` its file is fetched and ``path`` added."""
        client = self.backend
        model = dict(client.get_model(model_id))
        if download:
            folder = Path(output_dir) if output_dir else self.temp_dir('synapse-model-')
            folder.mkdir(parents=True, exist_ok=True)
            model['path'] = client.download_model(model_id, folder)
        return model

    def get_checkpoint(self) -> dict[str, Any] | None:
        """The model named by ``params.checkpoint``, downloaded (a zip is extracted), or ``None``."""
        model_id = self.param('checkpoint')
        if model_id is None:
            return None
        model = self.get_model(model_id)
        path = Path(model['path'])
        if path.suffix == '.zip':
            target = path.with_suffix('')
            extract_archive(path, target)
            path = target
        return {
            'id': model.get('id'),
            'name': model.get('name'),
            'category': model.get('category') or 'base',
            'path': path,
        }
