"""The Ray execution modes ``task`` and ``job``, registered through the ``synapse_sdk.executors`` entry points.

Each adapts an executor to the :class:`~synapse_sdk.plugins.executors._registry.Executor` protocol:
the plugin folder becomes the ``working_dir`` unless one is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins.executors._registry import ActionRef


def _with_working_dir(ref: ActionRef, options: dict[str, Any]) -> dict[str, Any]:
    if ref.plugin_path is not None:
        options.setdefault('working_dir', str(ref.plugin_path))
    return options


class TaskMode:
    """``mode='task'``: run in a warm Ray actor and return the result (keywords: :class:`RayActorExecutor`'s)."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> Any:
        from synapse_sdk.ray._task import RayActorExecutor

        return RayActorExecutor(**_with_working_dir(ref, dict(self.options))).execute(ref.remote_target(), params)


class JobMode:
    """``mode='job'``: submit a Ray job and return its id (keywords: :class:`RayJobsApiExecutor`'s)."""

    def __init__(self, **options: Any) -> None:
        self.options = options

    def run(self, ref: ActionRef, params: Mapping[str, Any]) -> str:
        from synapse_sdk.ray._jobs_api import RayJobsApiExecutor

        return RayJobsApiExecutor(**_with_working_dir(ref, dict(self.options))).submit(ref.entrypoint(), params)
