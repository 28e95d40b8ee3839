"""Plugin enums. Members compare equal to their string values (``RunMethod.JOB == 'job'``)."""

from __future__ import annotations

from enum import Enum


class _StrEnum(str, Enum):
    def __str__(self) -> str:
        return str(self.value)


class PluginCategory(_StrEnum):
    NEURAL_NET = 'neural_net'
    EXPORT = 'export'
    UPLOAD = 'upload'
    SMART_TOOL = 'smart_tool'
    POST_ANNOTATION = 'post_annotation'
    PRE_ANNOTATION = 'pre_annotation'
    DATA_VALIDATION = 'data_validation'
    CUSTOM = 'custom'


class RunMethod(_StrEnum):
    """How the platform runs an action (``config.yaml`` ``method``)."""

    JOB = 'job'
    TASK = 'task'
    SERVE = 'serve'
    RESTAPI = 'restapi'


class ExecutionMode(_StrEnum):
    """Where ``run_plugin`` runs an action: this process, a Ray actor, a Ray job, or served over HTTP.

    Convenience constants only: the modes that exist are those registered in
    :data:`synapse_sdk.plugins.executors._registry.EXECUTORS`.
    """

    LOCAL = 'local'
    TASK = 'task'
    JOB = 'job'
    SERVE = 'serve'


class PackageManager(_StrEnum):
    PIP = 'pip'
    UV = 'uv'


class DataType(_StrEnum):
    IMAGE = 'image'
    TEXT = 'text'
    VIDEO = 'video'
    PCD = 'pcd'
    AUDIO = 'audio'


# Default ``method`` suggested for well-known action names (used by scaffolding).
ACTION_DEFAULT_METHODS: dict[str, RunMethod] = {
    'train': RunMethod.JOB,
    'export': RunMethod.JOB,
    'upload': RunMethod.JOB,
    'download': RunMethod.JOB,
    'convert': RunMethod.JOB,
    'test': RunMethod.JOB,
    'deployment': RunMethod.JOB,
    'to_task': RunMethod.JOB,
    'inference': RunMethod.SERVE,
    'auto_label': RunMethod.TASK,
}
