"""Pre-annotation: each task's image goes to the served detector; its boxes become the task's DM v2 annotation."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from synapse_sdk.plugins import detections_to_dm
from synapse_sdk.plugins.actions.to_task import ToTaskAction


class PreAnnotate(ToTaskAction):
    action_name = 'to_task'

    def convert_data_from_inference(
        self, inference_data: Any, task_data: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return detections_to_dm(inference_data['detections'])
