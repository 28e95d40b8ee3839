"""Write, discover and run Synapse plugins.

Names are imported on first use, so ``import synapse_sdk.plugins`` stays cheap and category
bases (which need more of the SDK) load only when asked for.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS: dict[str, str] = {
    'action': 'synapse_sdk.plugins.decorators',
    'BaseAction': 'synapse_sdk.plugins.action',
    'run_plugin': 'synapse_sdk.plugins.runner',
    'PluginDiscovery': 'synapse_sdk.plugins.discovery',
    'PluginConfig': 'synapse_sdk.plugins._config',
    'ActionConfig': 'synapse_sdk.plugins._config',
    'RuntimeContext': 'synapse_sdk.plugins._context',
    'PluginEnvironment': 'synapse_sdk.plugins._context',
    'LocalExecutor': 'synapse_sdk.plugins.executors.local',
    'PluginCategory': 'synapse_sdk.plugins.enums',
    'RunMethod': 'synapse_sdk.plugins.enums',
    'ExecutionMode': 'synapse_sdk.plugins.enums',
    'PackageManager': 'synapse_sdk.plugins.enums',
    'DataType': 'synapse_sdk.plugins.enums',
    'PluginError': 'synapse_sdk.plugins.errors',
    'PluginConfigError': 'synapse_sdk.plugins.errors',
    'ActionNotFoundError': 'synapse_sdk.plugins.errors',
    'ParamsValidationError': 'synapse_sdk.plugins.errors',
    'EntrypointError': 'synapse_sdk.plugins.errors',
    'ExecutionError': 'synapse_sdk.plugins.errors',
    'ServeUnavailableError': 'synapse_sdk.plugins.errors',
    'ServeRequestError': 'synapse_sdk.plugins.errors',
    'ServeError': 'synapse_sdk.plugins.errors',
    'ServeActionError': 'synapse_sdk.plugins.errors',
    'RemoteError': 'synapse_sdk.plugins.errors',
    'PluginConfigParseError': 'synapse_sdk.plugins.errors',
    'LocalizedMessage': 'synapse_sdk.i18n',
    'LogLevel': 'synapse_sdk.i18n',
    'LogMessageCode': 'synapse_sdk.i18n',
    'BaseTrainAction': 'synapse_sdk.plugins.actions._train',
    'BaseExportAction': 'synapse_sdk.plugins.actions._export',
    'BaseUploadAction': 'synapse_sdk.plugins.actions._upload',
    'ToTaskAction': 'synapse_sdk.plugins.actions.to_task',
    'BaseInferenceAction': 'synapse_sdk.plugins.actions._inference',
    'BaseAutoLabelAction': 'synapse_sdk.plugins.actions._auto_label',
    'ServedAction': 'synapse_sdk.plugins._serving.served',
    'ServeHandle': 'synapse_sdk.plugins._serving.handle',
    'TrainProgressCategories': 'synapse_sdk.plugins.actions',
    'ExportParams': 'synapse_sdk.plugins.actions',
    'ExportProgressCategories': 'synapse_sdk.plugins.actions',
    'DefaultUploadAction': 'synapse_sdk.plugins.actions',
    'UploadContext': 'synapse_sdk.plugins.actions',
    'UploadParams': 'synapse_sdk.plugins.actions',
    'UploadStep': 'synapse_sdk.plugins.actions',
    'RollbackError': 'synapse_sdk.plugins.actions',
    'InferenceProgressCategories': 'synapse_sdk.plugins.actions',
    'AutoLabelParams': 'synapse_sdk.plugins.actions',
    'ToTaskParams': 'synapse_sdk.plugins.actions',
    'ToTaskResult': 'synapse_sdk.plugins.actions',
    'Step': 'synapse_sdk.plugins.actions',
    'StepRegistry': 'synapse_sdk.plugins.actions',
    'RollbackFailure': 'synapse_sdk.plugins.actions',
    'DatasetInfo': 'synapse_sdk.plugins.actions',
    'detections_to_dm': 'synapse_sdk.plugins.actions',
    'annotation_id': 'synapse_sdk.plugins.actions',
    'archive_and_upload': 'synapse_sdk.plugins._upload',
    'build_and_upload': 'synapse_sdk.plugins._upload',
    'download_and_upload': 'synapse_sdk.plugins._upload',
    'publish_plugin': 'synapse_sdk.plugins._upload',
    'BuildConfig': 'synapse_sdk.plugins._upload',
    'BuildError': 'synapse_sdk.plugins._upload',
    'PluginUploadError': 'synapse_sdk.plugins._upload',
    'PublishResult': 'synapse_sdk.plugins._upload',
    'UploadResult': 'synapse_sdk.plugins._upload',
    'UploadStage': 'synapse_sdk.plugins._upload',
    'ServeClient': 'synapse_sdk.plugins._serving',
    'ServeResponse': 'synapse_sdk.plugins._serving',
    'MODEL_ID_HEADER': 'synapse_sdk.plugins._serving',
    'Executor': 'synapse_sdk.plugins.executors._registry',
    'ActionRef': 'synapse_sdk.plugins.executors._registry',
    'EXECUTORS': 'synapse_sdk.plugins.executors._registry',
    'get_executor': 'synapse_sdk.plugins.executors._registry',
    'available_modes': 'synapse_sdk.plugins.executors._registry',
}

__all__ = [
    'ActionConfig',
    'ActionNotFoundError',
    'ActionRef',
    'AutoLabelParams',
    'BaseAction',
    'BaseAutoLabelAction',
    'BaseExportAction',
    'BaseInferenceAction',
    'BaseTrainAction',
    'BaseUploadAction',
    'BuildConfig',
    'BuildError',
    'DataType',
    'DatasetInfo',
    'DefaultUploadAction',
    'EXECUTORS',
    'EntrypointError',
    'ExecutionError',
    'ExecutionMode',
    'Executor',
    'ExportParams',
    'ExportProgressCategories',
    'InferenceProgressCategories',
    'LocalExecutor',
    'LocalizedMessage',
    'LogLevel',
    'LogMessageCode',
    'MODEL_ID_HEADER',
    'PackageManager',
    'ParamsValidationError',
    'PluginCategory',
    'PluginConfig',
    'PluginConfigError',
    'PluginConfigParseError',
    'PluginDiscovery',
    'PluginEnvironment',
    'PluginError',
    'PluginUploadError',
    'PublishResult',
    'RemoteError',
    'RollbackError',
    'RollbackFailure',
    'RunMethod',
    'RuntimeContext',
    'ServeActionError',
    'ServeClient',
    'ServeError',
    'ServeHandle',
    'ServeRequestError',
    'ServeResponse',
    'ServeUnavailableError',
    'ServedAction',
    'Step',
    'StepRegistry',
    'ToTaskAction',
    'ToTaskParams',
    'ToTaskResult',
    'TrainProgressCategories',
    'UploadContext',
    'UploadParams',
    'UploadResult',
    'UploadStage',
    'UploadStep',
    'action',
    'annotation_id',
    'archive_and_upload',
    'available_modes',
    'build_and_upload',
    'detections_to_dm',
    'download_and_upload',
    'get_executor',
    'publish_plugin',
    'run_plugin',
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


if TYPE_CHECKING:
    from synapse_sdk.i18n import LocalizedMessage, LogLevel, LogMessageCode
    from synapse_sdk.plugins._config import ActionConfig, PluginConfig
    from synapse_sdk.plugins._context import PluginEnvironment, RuntimeContext
    from synapse_sdk.plugins._serving import MODEL_ID_HEADER, ServeClient, ServeResponse
    from synapse_sdk.plugins._serving.handle import ServeHandle
    from synapse_sdk.plugins._serving.served import ServedAction
    from synapse_sdk.plugins._upload import (
        BuildConfig,
        BuildError,
        PluginUploadError,
        PublishResult,
        UploadResult,
        UploadStage,
        archive_and_upload,
        build_and_upload,
        download_and_upload,
        publish_plugin,
    )
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.actions._auto_label import (
        AutoLabelParams,
        BaseAutoLabelAction,
        annotation_id,
        detections_to_dm,
    )
    from synapse_sdk.plugins.actions._datasets import DatasetInfo
    from synapse_sdk.plugins.actions._export import BaseExportAction, ExportParams, ExportProgressCategories
    from synapse_sdk.plugins.actions._inference import BaseInferenceAction, InferenceProgressCategories
    from synapse_sdk.plugins.actions._steps import RollbackFailure, Step, StepRegistry
    from synapse_sdk.plugins.actions._train import BaseTrainAction, TrainProgressCategories
    from synapse_sdk.plugins.actions._upload import (
        BaseUploadAction,
        DefaultUploadAction,
        RollbackError,
        UploadContext,
        UploadParams,
        UploadStep,
    )
    from synapse_sdk.plugins.actions.to_task import ToTaskAction, ToTaskParams, ToTaskResult
    from synapse_sdk.plugins.decorators import action
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import DataType, ExecutionMode, PackageManager, PluginCategory, RunMethod
    from synapse_sdk.plugins.errors import (
        ActionNotFoundError,
        EntrypointError,
        ExecutionError,
        ParamsValidationError,
        PluginConfigError,
        PluginConfigParseError,
        PluginError,
        RemoteError,
        ServeActionError,
        ServeError,
        ServeRequestError,
        ServeUnavailableError,
    )
    from synapse_sdk.plugins.executors._registry import EXECUTORS, ActionRef, Executor, available_modes, get_executor
    from synapse_sdk.plugins.executors.local import LocalExecutor
    from synapse_sdk.plugins.runner import run_plugin
