"""Category base actions: train, export, upload (steps with rollback), inference, smart tools and to_task.

Imported lazily so ``import synapse_sdk.plugins`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    'BaseTrainAction': 'train',
    'TrainProgressCategories': 'train',
    'BaseExportAction': 'export',
    'ExportParams': 'export',
    'ExportProgressCategories': 'export',
    'BaseUploadAction': 'upload',
    'DefaultUploadAction': 'upload',
    'UploadContext': 'upload',
    'UploadParams': 'upload',
    'UploadStep': 'upload',
    'RollbackError': 'upload',
    'BaseInferenceAction': 'inference',
    'InferenceProgressCategories': 'inference',
    'BaseAutoLabelAction': 'auto_label',
    'AutoLabelParams': 'auto_label',
    'ToTaskAction': 'to_task',
    'ToTaskParams': 'to_task',
    'ToTaskResult': 'to_task',
    'Step': 'steps',
    'StepRegistry': 'steps',
    'RollbackFailure': 'steps',
    'DatasetInfo': 'datasets',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f'{__name__}.{_EXPORTS[name]}'), name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
