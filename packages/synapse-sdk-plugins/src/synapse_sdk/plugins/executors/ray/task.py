"""``RayActorExecutor`` (mode ``task``), provided by ``synapse-sdk-ray``."""

try:
    from synapse_sdk.ray.task import RayActorExecutor, RayTaskExecutor
except ModuleNotFoundError as _error:
    from synapse_sdk.core.lazy import missing_distribution

    raise missing_distribution(_error, 'synapse_sdk.ray', 'ray') from _error

__all__ = ['RayActorExecutor', 'RayTaskExecutor']
