"""Pre-annotation: label files or inference results become DM v2 bounding boxes."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins.actions.to_task import ToTaskAction


def boxes_to_dm(boxes: list[list[Any]]) -> dict[str, Any]:
    """``[[x, y, w, h, class], ...]`` as a DM v2 annotation."""
    annotations = [
        {'id': f'box{index:07d}', 'classification': str(label), 'attrs': [], 'data': [x, y, w, h]}
        for index, (x, y, w, h, label) in enumerate(boxes)
    ]
    return {
        'classification': {'bounding_box': sorted({a['classification'] for a in annotations})},
        'images': [{'bounding_box': annotations}],
    }


class ToTask(ToTaskAction):
    action_name = 'to_task'

    def convert_data_from_file(
        self,
        primary_file_url: str,
        primary_file_original_name: str,
        data_file_url: str,
        data_file_original_name: str,
        task_data: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        with tempfile.TemporaryDirectory() as tmp:
            labels = self.backend.download_file(data_file_url, Path(tmp) / (data_file_original_name or 'labels.json'))
            return boxes_to_dm(json.loads(labels.read_text(encoding='utf-8'))['boxes'])

    def convert_data_from_inference(
        self, inference_data: Any, task_data: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return boxes_to_dm(inference_data['boxes'])
