"""Category base actions: train, export, upload (steps with rollback), inference, smart tools and to_task.

Imported lazily so ``import synapse_sdk.plugins`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    'BaseTrainAction': '_train',
    'TrainProgressCategories': '_train',
    'BaseExportAction': '_export',
    'ExportParams': '_export',
    'ExportProgressCategories': '_export',
    'BaseUploadAction': '_upload',
    'DefaultUploadAction': '_upload',
    'UploadContext': '_upload',
    'UploadParams': '_upload',
    'UploadStep': '_upload',
    'RollbackError': '_upload',
    'BaseInferenceAction': '_inference',
    'InferenceProgressCategories': '_inference',
    'BaseAutoLabelAction': '_auto_label',
    'AutoLabelParams': '_auto_label',
    'ToTaskAction': 'to_task',
    'ToTaskParams': 'to_task',
    'ToTaskResult': 'to_task',
    'Step': '_steps',
    'StepRegistry': '_steps',
    'RollbackFailure': '_steps',
    'DatasetInfo': '_datasets',
    'detections_to_dm': '_auto_label',
    'annotation_id': '_auto_label',
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f'{__name__}.{_EXPORTS[name]}'), name)
        globals()[name] = value
        return value
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
