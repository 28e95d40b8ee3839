"""``RayServeExecutor`` (mode ``serve_ray``; ``serve`` with a Ray address), provided by ``synapse-sdk-ray``."""

from typing import TYPE_CHECKING

from synapse_sdk.core._lazy import import_optional

if TYPE_CHECKING:
    from synapse_sdk.ray._serve.executor import RayServeExecutor
    from synapse_sdk.ray._serve.handle import RayServeHandle
else:
    RayServeExecutor = import_optional('synapse_sdk.ray._serve.executor').RayServeExecutor
    RayServeHandle = import_optional('synapse_sdk.ray._serve.handle').RayServeHandle

__all__ = ['RayServeExecutor', 'RayServeHandle']
