"""Smart tool: the served detector's boxes as DM v2 annotations (or the detector run here, with no URL)."""

from __future__ import annotations

from pathlib import Path

from synapse_sdk.plugins import AutoLabelParams, BaseAutoLabelAction


class AutoLabelRequest(AutoLabelParams):
    image_path: str


class AutoLabel(BaseAutoLabelAction[AutoLabelRequest]):
    action_name = 'auto_label'
    inference_plugin = str(Path(__file__).resolve().parents[1])  # this plugin's own inference action
