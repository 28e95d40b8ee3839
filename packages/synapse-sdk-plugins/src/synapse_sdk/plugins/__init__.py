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
    'PluginConfig': 'synapse_sdk.plugins.config',
    'ActionConfig': 'synapse_sdk.plugins.config',
    'RuntimeContext': 'synapse_sdk.plugins.context',
    'PluginEnvironment': 'synapse_sdk.plugins.context',
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
    'LocalizedMessage': 'synapse_sdk.i18n',
    'LogLevel': 'synapse_sdk.i18n',
    'LogMessageCode': 'synapse_sdk.i18n',
    'BaseTrainAction': 'synapse_sdk.plugins.actions.train',
    'BaseExportAction': 'synapse_sdk.plugins.actions.export',
    'BaseUploadAction': 'synapse_sdk.plugins.actions.upload',
    'ToTaskAction': 'synapse_sdk.plugins.actions.to_task',
    'BaseInferenceAction': 'synapse_sdk.plugins.actions.inference',
    'BaseAutoLabelAction': 'synapse_sdk.plugins.actions.auto_label',
    'ServedAction': 'synapse_sdk.plugins.serving.served',
    'ServeHandle': 'synapse_sdk.plugins.serving.handle',
}

__all__ = [
    'ActionConfig',
    'ActionNotFoundError',
    'BaseAction',
    'BaseAutoLabelAction',
    'BaseExportAction',
    'BaseInferenceAction',
    'BaseTrainAction',
    'BaseUploadAction',
    'DataType',
    'EntrypointError',
    'ExecutionError',
    'ExecutionMode',
    'LocalExecutor',
    'LocalizedMessage',
    'LogLevel',
    'LogMessageCode',
    'PackageManager',
    'ParamsValidationError',
    'PluginCategory',
    'PluginConfig',
    'PluginConfigError',
    'PluginDiscovery',
    'PluginEnvironment',
    'PluginError',
    'RunMethod',
    'RuntimeContext',
    'ServeHandle',
    'ServedAction',
    'ToTaskAction',
    'action',
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
    from synapse_sdk.plugins.action import BaseAction
    from synapse_sdk.plugins.actions.auto_label import BaseAutoLabelAction
    from synapse_sdk.plugins.actions.export import BaseExportAction
    from synapse_sdk.plugins.actions.inference import BaseInferenceAction
    from synapse_sdk.plugins.actions.to_task import ToTaskAction
    from synapse_sdk.plugins.actions.train import BaseTrainAction
    from synapse_sdk.plugins.actions.upload import BaseUploadAction
    from synapse_sdk.plugins.config import ActionConfig, PluginConfig
    from synapse_sdk.plugins.context import PluginEnvironment, RuntimeContext
    from synapse_sdk.plugins.decorators import action
    from synapse_sdk.plugins.discovery import PluginDiscovery
    from synapse_sdk.plugins.enums import DataType, ExecutionMode, PackageManager, PluginCategory, RunMethod
    from synapse_sdk.plugins.errors import (
        ActionNotFoundError,
        EntrypointError,
        ExecutionError,
        ParamsValidationError,
        PluginConfigError,
        PluginError,
    )
    from synapse_sdk.plugins.executors.local import LocalExecutor
    from synapse_sdk.plugins.runner import run_plugin
    from synapse_sdk.plugins.serving.handle import ServeHandle
    from synapse_sdk.plugins.serving.served import ServedAction
