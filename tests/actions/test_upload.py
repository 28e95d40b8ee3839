from __future__ import annotations

import json
import traceback
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from synapse_sdk.clients._local import LocalBackend
from synapse_sdk.plugins._events import MemorySink
from synapse_sdk.plugins.actions._steps import StepRegistry
from synapse_sdk.plugins.actions._upload import BaseUploadAction, DefaultUploadAction, UploadContext, UploadStep
from synapse_sdk.plugins.errors import ExecutionError
from synapse_sdk.plugins.executors.local import LocalExecutor


def stored_files(backend: LocalBackend) -> list[str]:
    root = backend.home / 'storage'
    return sorted(p.relative_to(root).as_posix() for p in root.rglob('*') if p.is_file())


def test_example_uploads_files_manifest_and_data_units(run: Any, backend: LocalBackend, dm_dataset: Path) -> None:
    result = run('upload_plugin', 'upload', {'path': str(dm_dataset), 'dataset': 'uploads'})
    assert result['success'] is True and result['data_units'] == 4
    assert result['uploaded_files'] == 9  # 4 images + 4 json + manifest
    units = list(backend.list_data_units('uploads'))
    assert units[0]['files']['original_files']['is_primary'] is True
    assert units[0]['data']['images'][0]['bounding_box'][0]['id'] == 'box0000000'
    image = backend.download_file(units[0]['files']['original_files']['url'], dm_dataset.parent / 'back.png')
    assert image.read_bytes() == (dm_dataset / 'original_files' / 'img_000.png').read_bytes()
    manifest = [f for f in stored_files(backend) if f.endswith('manifest.json')]
    assert len(manifest) == 1
    assert len(json.loads((backend.home / 'storage' / manifest[0]).read_text())) == 8
    assert run.progress('upload')[-1] == 100


class Boom(RuntimeError):
    pass


class FailAfterUpload(UploadStep):
    name = 'explode'

    def execute(self, context: UploadContext) -> Any:
        root = Path(context.params.path)
        context.upload_file(root / 'original_files' / 'img_000.png', 'uploads/partial.png')  # partial work
        raise Boom('disk on fire')


class Failing(DefaultUploadAction):
    action_name = 'upload'

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        super().setup_steps(registry)
        registry.register(FailAfterUpload())


def test_failing_step_leaves_nothing_behind_and_keeps_the_exception(backend: LocalBackend, dm_dataset: Path) -> None:
    sink = MemorySink()
    with pytest.raises(ExecutionError) as caught:
        LocalExecutor(client=backend, sinks=[sink]).execute(Failing, {'path': str(dm_dataset), 'dataset': 'new'})
    original = caught.value.__cause__
    assert type(original) is Boom and str(original) == 'disk on fire'
    assert 'FailAfterUpload' in ''.join(traceback.format_tb(original.__traceback__)) or 'execute' in ''.join(
        traceback.format_tb(original.__traceback__)
    )
    assert stored_files(backend) == []
    assert [d['name'] for d in backend.list_datasets()] == []  # the dataset the run created is gone too
    codes = [e.code for e in sink.events if e.kind == 'message']
    assert 'UPLOAD_STEP_FAILED' in codes and codes.count('UPLOAD_ROLLBACK_STARTED') == 5
    assert getattr(original, 'rollback_errors', None) == []


def test_existing_dataset_keeps_its_units_after_a_failed_run(backend: LocalBackend, dm_dataset: Path) -> None:
    backend.register_dataset('cars', dm_dataset)
    with pytest.raises(ExecutionError):
        LocalExecutor(client=backend, sinks=[MemorySink()]).execute(
            Failing, {'path': str(dm_dataset), 'dataset': 'cars'}
        )
    assert backend.get_dataset('cars')['count'] == 4
    assert stored_files(backend) == []


class P(BaseModel):
    fail_at: str = ''
    broken_rollback: str = ''


class Ordered(BaseUploadAction[P]):
    action_name = 'ordered'
    trail: list[str] = []

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        for name in ('a', 'b', 'c', 'd'):
            registry.add(name, self._do(name), self._undo(name))
        registry.unregister('d')
        registry.insert_before('a', registry.unregister('c'))  # c, a, b

    def _do(self, name: str) -> Any:
        def run(context: UploadContext) -> str:
            self.trail.append(f'do {name}')
            if self.params.fail_at == name:
                raise KeyError(name)
            return name.upper()

        return run

    def _undo(self, name: str) -> Any:
        def undo(context: UploadContext, result: Any) -> None:
            self.trail.append(f'undo {name} {result}')
            if self.params.broken_rollback == name:
                raise OSError(f'cannot undo {name}')

        return undo


def test_steps_run_in_order_and_roll_back_newest_first(backend: LocalBackend) -> None:
    Ordered.trail = []
    result = LocalExecutor(client=backend, sinks=[MemorySink()]).execute(Ordered, {})
    assert Ordered.trail == ['do c', 'do a', 'do b'] and result['steps_executed'] == 3
    Ordered.trail = []
    with pytest.raises(ExecutionError) as caught:
        LocalExecutor(client=backend, sinks=[MemorySink()]).execute(Ordered, {'fail_at': 'b'})
    assert isinstance(caught.value.__cause__, KeyError)
    assert Ordered.trail == ['do c', 'do a', 'do b', 'undo a A', 'undo c C']


def test_rollback_failures_are_reported_not_swallowed(backend: LocalBackend) -> None:
    Ordered.trail = []
    sink = MemorySink()
    with pytest.raises(ExecutionError) as caught:
        LocalExecutor(client=backend, sinks=[sink]).execute(Ordered, {'fail_at': 'b', 'broken_rollback': 'a'})
    original = caught.value.__cause__
    assert isinstance(original, KeyError)
    assert Ordered.trail[-1] == 'undo c C', 'a failing rollback does not stop the others'
    failures = original.rollback_errors  # type: ignore[attr-defined]
    assert [f.step for f in failures] == ['a'] and isinstance(failures[0].error, OSError)
    assert any('cannot undo a' in note for note in original.__notes__)  # type: ignore[attr-defined]
    failed = [e for e in sink.events if e.code == 'UPLOAD_ROLLBACK_FAILED']
    assert failed and failed[0].level.value == 'error' and 'cannot undo a' in failed[0].render('en')


def test_no_steps_is_a_clear_error(backend: LocalBackend) -> None:
    class Empty(BaseUploadAction[P]):
        action_name = 'empty'

    with pytest.raises(ExecutionError, match='registers no steps'):
        LocalExecutor(client=backend, sinks=[MemorySink()]).execute(Empty, {})
