"""``RayActorExecutor`` (mode ``task``), provided by ``synapse-sdk-ray``; the seed's import path."""

from typing import TYPE_CHECKING

from synapse_sdk.core._lazy import import_optional

if TYPE_CHECKING:
    from synapse_sdk.ray._task import RayActorExecutor, RayTaskExecutor
else:
    _task = import_optional('synapse_sdk.ray._task')
    RayActorExecutor = _task.RayActorExecutor
    RayTaskExecutor = _task.RayTaskExecutor

__all__ = ['RayActorExecutor', 'RayTaskExecutor']
