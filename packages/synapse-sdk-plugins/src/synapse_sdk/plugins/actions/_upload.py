"""``BaseUploadAction``: an upload as ordered steps, rolled back in reverse when one fails.

Steps record what they create through the :class:`UploadContext` (``upload_file``,
``create_data_units``, ``track``). When a step fails, what it had already created is removed,
the completed steps roll back newest first, and anything still recorded is swept, so files
uploaded by a failed run are gone afterwards. The caller gets the original exception.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from pydantic import BaseModel, Field

from synapse_sdk.clients._protocol import BackendProtocol
from synapse_sdk.core._parsing import load_json
from synapse_sdk.core.errors import MissingFileError, NotFoundError
from synapse_sdk.i18n import LogLevel, LogMessageCode
from synapse_sdk.plugins.actions._base import CategoryAction, P
from synapse_sdk.plugins.actions._datasets import resolve_storage
from synapse_sdk.plugins.actions._steps import (
    RollbackFailure,
    Step,
    StepHooks,
    StepRegistry,
    StepsOutcome,
    run_steps,
)
from synapse_sdk.plugins.enums import PluginCategory
from synapse_sdk.plugins.errors import PluginError
from synapse_sdk.plugins.errors import RollbackError as RollbackError


class UploadProgressCategories:
    OVERALL = 'upload'


@dataclass
class _Undo:
    step: str
    description: str
    undo: Callable[[], None]


@dataclass
class UploadContext:
    """State shared by the steps of one upload run."""

    action: BaseUploadAction[Any]
    params: Any
    client: BackendProtocol
    storage: Any = None
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    dataset: dict[str, Any] | None = None
    source_files: list[Path] = field(default_factory=list)
    organized: list[dict[str, Any]] = field(default_factory=list)
    uploaded_files: list[dict[str, Any]] = field(default_factory=list)
    data_units: list[dict[str, Any]] = field(default_factory=list)
    allowed_extensions: dict[str, list[str]] | None = None
    current_step: str | None = None
    results: dict[str, Any] = field(default_factory=dict)
    _undo: list[_Undo] = field(default_factory=list, repr=False)

    # -- recording what steps create
    def track(self, description: str, undo: Callable[[], None]) -> None:
        """Record how to undo something the current step created."""
        self._undo.append(_Undo(self.current_step or '', description, undo))

    def upload_file(self, path: str | Path, key: str, **info: Any) -> str:
        """Upload to the configured storage (else the backend's); removed again on rollback."""
        source = Path(path)
        if self.storage is not None:
            url = str(self.storage.upload(source, key))
            storage = self.storage
            self.track(f'uploaded {key}', lambda: storage.delete(key))
        else:
            url = self.client.upload_file(source, key)
            client = self.client
            self.track(f'uploaded {key}', lambda: client.delete_file(url))
        self.uploaded_files.append({'path': str(source), 'key': key, 'url': url, **info})
        return url

    def create_data_units(self, units: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """Create data units in the run's dataset; deleted again on rollback."""
        if self.dataset is None:
            raise PluginError('no dataset selected for this upload; set context.dataset in an earlier step')
        created = self.client.create_data_units(self.dataset['id'], units)
        ids = [u['id'] for u in created]
        client = self.client
        self.track(f'created {len(ids)} data units', lambda: client.delete_data_units(ids))
        self.data_units.extend(created)
        return created

    def undo(self, step: str | None = None) -> list[RollbackFailure]:
        """Undo what ``step`` (or every step) recorded, newest first; returns the failures."""
        failures: list[RollbackFailure] = []
        keep: list[_Undo] = []
        for entry in reversed(self._undo):
            if step is not None and entry.step != step:
                keep.append(entry)
                continue
            try:
                entry.undo()
            except Exception as error:
                failures.append(RollbackFailure(entry.step or '?', error))
        self._undo = list(reversed(keep))
        return failures

    # -- reporting
    def log(self, event: str, data: dict[str, Any] | None = None) -> None:
        self.action.log(event, data or {})

    def set_progress(self, current: float, total: float) -> None:
        self.action.set_progress(current, total, self.current_step)


class UploadStep(Step[UploadContext]):
    """A step of an upload; the default rollback undoes what it recorded on the context."""

    def rollback(self, context: UploadContext, result: Any) -> None:
        failures = context.undo(self.name)
        if failures:
            raise RollbackError(failures)


class _Hooks(StepHooks[UploadContext]):
    def __init__(self, action: BaseUploadAction[Any], context: UploadContext) -> None:
        self.action = action
        self.context = context

    def started(self, step: Step[UploadContext]) -> None:
        self.context.current_step = step.name
        self.action.log_message(LogMessageCode.UPLOAD_STEP_STARTED, step=step.name)

    def completed(self, step: Step[UploadContext], done: float, total: float) -> None:
        self.action.log_message(LogMessageCode.UPLOAD_STEP_COMPLETED, step=step.name)
        self.action.set_progress(round(done / total * 100, 2), 100, self.action.progress.OVERALL)

    def failed(self, step: Step[UploadContext], error: BaseException) -> None:
        self.action.log_message(
            LogMessageCode.UPLOAD_STEP_FAILED,
            level=LogLevel.ERROR,
            step=step.name,
            error=f'{type(error).__name__}: {error}',
        )

    def rolling_back(self, step: Step[UploadContext]) -> None:
        self.context.current_step = step.name
        self.action.log_message(LogMessageCode.UPLOAD_ROLLBACK_STARTED, step=step.name)

    def rollback_failed(self, failure: RollbackFailure) -> None:
        self.action.log_message(
            LogMessageCode.UPLOAD_ROLLBACK_FAILED,
            level=LogLevel.ERROR,
            step=failure.step,
            error=f'{type(failure.error).__name__}: {failure.error}',
        )


class BaseUploadAction(CategoryAction[P]):
    """Base for ``upload`` actions: override :meth:`setup_steps` and register ordered steps."""

    category = PluginCategory.UPLOAD
    progress: ClassVar[type[UploadProgressCategories]] = UploadProgressCategories

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        """Register the steps, in order (``registry.register(step)`` or ``registry.add(name, fn, undo)``)."""

    def get_allowed_extensions(self) -> dict[str, list[str]] | None:
        """``{'image': ['.jpg', '.png'], ...}`` to restrict files by type, or ``None`` for any."""
        return None

    def create_context(self) -> UploadContext:
        return UploadContext(
            action=self,
            params=self.params,
            client=self.backend,
            storage=resolve_storage(self.param('storage')),
            allowed_extensions=self.get_allowed_extensions(),
        )

    def build_result(self, context: UploadContext, outcome: StepsOutcome) -> dict[str, Any]:
        return {
            'success': True,
            'steps_executed': len(outcome.executed),
            'steps_skipped': len(outcome.skipped),
            'steps_total': len(outcome.executed) + len(outcome.skipped),
            'uploaded_files': len(context.uploaded_files),
            'data_units': len(context.data_units),
            'dataset': context.dataset['id'] if context.dataset else None,
        }

    def execute(self) -> Any:
        registry: StepRegistry[UploadContext] = StepRegistry()
        self.setup_steps(registry)
        if not registry:
            raise PluginError(
                f'{type(self).__name__} registers no steps; override setup_steps(registry) and register them'
            )
        context = self.create_context()
        outcome = run_steps(
            registry,
            context,
            _Hooks(self, context),
            undo_partial=lambda step: context.undo(step.name),
            finalise_rollback=context.undo,
        )
        return self.build_result(context, outcome)


# ---------------------------------------------------------------------------- the default upload
PRIMARY_SPECS = ('original_files', 'image', 'images', 'file', 'files')


class UploadParams(BaseModel):
    """Upload the files of a local folder into a dataset (grouped into data units by file stem)."""

    name: str = 'upload'
    path: str
    dataset: int | str
    storage: dict[str, Any] | None = None
    prefix: str = 'uploads'
    batch_size: int = Field(default=100, ge=1)
    allowed_extensions: dict[str, list[str]] | None = None


class SelectDatasetStep(UploadStep):
    name = 'select_dataset'
    progress_weight = 5.0

    def execute(self, context: UploadContext) -> Any:
        wanted = context.params.dataset
        try:
            context.dataset = context.client.get_dataset(wanted)
        except NotFoundError:
            create = getattr(context.client, 'create_dataset', None)
            if create is None or not isinstance(wanted, str):
                raise
            context.dataset = create(wanted)
            delete = context.client.delete_dataset  # type: ignore[attr-defined]
            dataset_id = context.dataset['id']
            context.track(f'created dataset {wanted}', lambda: delete(dataset_id))
        return context.dataset['id']


class CollectFilesStep(UploadStep):
    """Files under ``params.path`` grouped by stem; a sub-folder name is the file's specification."""

    name = 'collect_files'
    progress_weight = 5.0

    def execute(self, context: UploadContext) -> Any:
        root = Path(context.params.path).expanduser()
        if not root.is_dir():
            raise MissingFileError(f'upload folder {root} does not exist', details={'path': str(root)})
        groups: dict[tuple[str, str], dict[str, Path]] = {}
        for file in sorted(p for p in root.rglob('*') if p.is_file() and not p.name.startswith('.')):
            relative = file.relative_to(root)
            spec = relative.parts[-2] if len(relative.parts) > 1 else 'file'
            split = relative.parts[0] if len(relative.parts) > 2 else ''
            groups.setdefault((split, file.stem), {})[spec] = file
            context.source_files.append(file)
        if not groups:
            raise MissingFileError(f'no files to upload in {root}', details={'path': str(root)})
        context.organized = [
            {'name': stem, 'split': split or None, 'files': files} for (split, stem), files in sorted(groups.items())
        ]
        return len(context.organized)


class ValidateFilesStep(UploadStep):
    name = 'validate'
    progress_weight = 5.0

    def execute(self, context: UploadContext) -> Any:
        allowed = context.params.allowed_extensions or context.allowed_extensions
        if not allowed:
            return 0
        accepted = {ext.lower() for exts in allowed.values() for ext in exts}
        bad = [str(p) for p in context.source_files if p.suffix.lower() not in accepted and p.suffix != '.json']
        if bad:
            raise ValueError(f'{len(bad)} files have extensions not allowed ({", ".join(sorted(accepted))}): {bad[:5]}')
        return len(context.source_files)


class UploadFilesStep(UploadStep):
    name = 'upload_files'
    progress_weight = 60.0

    def execute(self, context: UploadContext) -> Any:
        root = Path(context.params.path).expanduser()
        total = sum(len(u['files']) for u in context.organized)
        done = 0
        for unit in context.organized:
            uploaded: dict[str, Any] = {}
            for spec, path in unit['files'].items():
                key = f'{context.params.prefix.strip("/")}/{context.run_id}/{path.relative_to(root).as_posix()}'
                uploaded[spec] = {'url': context.upload_file(path, key, spec=spec), 'name': path.name}
                done += 1
                context.set_progress(done, total)
            unit['uploaded'] = uploaded
        return done


class CreateDataUnitsStep(UploadStep):
    name = 'create_data_units'
    progress_weight = 25.0

    def execute(self, context: UploadContext) -> Any:
        pending: list[dict[str, Any]] = []
        for unit in context.organized:
            specs = list(unit['uploaded'])
            primary = next((s for s in PRIMARY_SPECS if s in specs), specs[0])
            files = {s: {**info, 'is_primary': s == primary} for s, info in unit['uploaded'].items()}
            data = None
            if 'json' in unit['files'] and unit['files']['json'].suffix == '.json':
                data = load_json(unit['files']['json'])
            pending.append({'name': unit['name'], 'split': unit['split'], 'files': files, 'data': data})
            if len(pending) >= context.params.batch_size:
                context.create_data_units(pending)
                pending = []
        if pending:
            context.create_data_units(pending)
        return len(context.data_units)


class DefaultUploadAction(BaseUploadAction[UploadParams]):
    """Upload a local folder into a dataset: select dataset, collect, validate, upload, create units."""

    action_name = 'upload'
    params_model = UploadParams

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        for step in (
            SelectDatasetStep(),
            CollectFilesStep(),
            ValidateFilesStep(),
            UploadFilesStep(),
            CreateDataUnitsStep(),
        ):
            registry.register(step)
