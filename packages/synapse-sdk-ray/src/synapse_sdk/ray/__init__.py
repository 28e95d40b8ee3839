"""Run Synapse plugins on Ray: actor tasks, Jobs API and a self-hostable agent.

Importing this package does not import Ray; the names below load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from synapse_sdk.ray.errors import (  # light: no Ray import
    ActionTimeoutError,
    AddressError,
    ApplicationNotFoundError,
    ClusterUnreachableError,
    DeploymentFailedError,
    DeploymentTimeoutError,
    EnvironmentSetupError,
    JobFailedError,
    JobNotFoundError,
    JobStoppedError,
    JobTimeoutError,
    RemoteError,
    ResourceUnavailableError,
    WorkerCrashedError,
)

if TYPE_CHECKING:
    from synapse_sdk.ray._jobs_api import RayJobsApiExecutor
    from synapse_sdk.ray._secrets import Secret
    from synapse_sdk.ray._serve import RayServeExecutor, RayServeHandle
    from synapse_sdk.ray._task import RayActorExecutor, RayTaskExecutor

_LAZY = {
    'RayActorExecutor': 'synapse_sdk.ray._task',
    'RayTaskExecutor': 'synapse_sdk.ray._task',
    'RayJobsApiExecutor': 'synapse_sdk.ray._jobs_api',
    'Secret': 'synapse_sdk.ray._secrets',
    'RayServeExecutor': 'synapse_sdk.ray._serve',
    'RayServeHandle': 'synapse_sdk.ray._serve',
}

__all__ = [
    'ActionTimeoutError',
    'AddressError',
    'ApplicationNotFoundError',
    'ClusterUnreachableError',
    'DeploymentFailedError',
    'DeploymentTimeoutError',
    'EnvironmentSetupError',
    'JobFailedError',
    'JobNotFoundError',
    'JobStoppedError',
    'JobTimeoutError',
    'RayActorExecutor',
    'RayJobsApiExecutor',
    'RayServeExecutor',
    'RayServeHandle',
    'RayTaskExecutor',
    'RemoteError',
    'ResourceUnavailableError',
    'Secret',
    'WorkerCrashedError',
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
    return getattr(importlib.import_module(module), name)
