"""``RayJobsApiExecutor`` (mode ``job``), provided by ``synapse-sdk-ray``."""

try:
    from synapse_sdk.ray.jobs_api import RayJobsApiExecutor
except ModuleNotFoundError as _error:
    from synapse_sdk.core.lazy import missing_distribution

    raise missing_distribution(_error, 'synapse_sdk.ray', 'ray') from _error

__all__ = ['RayJobsApiExecutor']
