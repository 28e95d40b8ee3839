"""``RayServeExecutor`` (mode ``serve_ray``; ``serve`` with a Ray address), provided by ``synapse-sdk-ray``."""

try:
    from synapse_sdk.ray.serve.executor import RayServeExecutor
    from synapse_sdk.ray.serve.handle import RayServeHandle
except ModuleNotFoundError as _error:
    from synapse_sdk.core.lazy import missing_distribution

    raise missing_distribution(_error, 'synapse_sdk.ray', 'ray') from _error

__all__ = ['RayServeExecutor', 'RayServeHandle']
