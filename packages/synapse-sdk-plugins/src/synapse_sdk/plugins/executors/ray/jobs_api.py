"""``RayJobsApiExecutor`` (mode ``job``), provided by ``synapse-sdk-ray``; the seed's import path."""

from typing import TYPE_CHECKING

from synapse_sdk.core._lazy import import_optional

if TYPE_CHECKING:
    from synapse_sdk.ray._jobs_api import RayJobsApiExecutor
else:
    RayJobsApiExecutor = import_optional('synapse_sdk.ray._jobs_api').RayJobsApiExecutor

__all__ = ['RayJobsApiExecutor']
