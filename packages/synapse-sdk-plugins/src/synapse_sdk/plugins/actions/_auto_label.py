"""``BaseAutoLabelAction``: a smart tool that turns one model call into DM annotations.

``execute()`` is ``handle_input(params)`` -> ``run_inference(model_input)`` -> ``handle_output(output)``.
``run_inference`` calls a served deployment by URL (``params.inference_url``, the class's
``inference_url`` or ``SYNAPSE_INFERENCE_URL``; embedded server or Ray Serve, same API) or, with
none, runs an inference action of a plugin folder (``inference_plugin``) in this process. The
default ``handle_output`` turns detections (``{'bbox': [x, y, w, h], 'label': ..., 'score': ...}``)
into a DM v2 annotation.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from synapse_sdk.core.errors import ConfigError
from synapse_sdk.plugins.actions._base import CategoryAction, P
from synapse_sdk.plugins.enums import PluginCategory, RunMethod

INFERENCE_URL_VAR = 'SYNAPSE_INFERENCE_URL'
_ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'


class AutoLabelParams(BaseModel):
    """Params of a smart tool call: what to label, and which model to ask."""

    model_config = ConfigDict(extra='allow')

    inference_url: str | None = None
    model: str | int | None = None


def annotation_id() -> str:
    """A ten-character annotation id, as the platform's editor makes them."""
    return ''.join(secrets.choice(_ID_ALPHABET) for _ in range(10))


def detections_to_dm(detections: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """DM v2 for one image from ``[{'bbox': [x, y, w, h], 'label': str, 'score'?: float}, ...]``."""
    boxes: list[dict[str, Any]] = []
    for found in detections:
        attrs = [{'name': 'score', 'value': round(float(found['score']), 4)}] if 'score' in found else []
        boxes.append(
            {
                'id': annotation_id(),
                'classification': str(found['label']),
                'attrs': attrs,
                'data': [float(v) for v in found['bbox']],
            }
        )
    labels = sorted({str(b['classification']) for b in boxes})
    return {'classification': {'bounding_box': labels} if labels else {}, 'images': [{'bounding_box': boxes}]}


class BaseAutoLabelAction(CategoryAction[P]):
    """Base for ``smart_tool`` actions: one request from the annotation editor, DM annotations back."""

    action_name: ClassVar[str | None] = 'auto_label'
    category = PluginCategory.SMART_TOOL
    method = RunMethod.TASK
    inference_url: ClassVar[str | None] = None
    inference_plugin: ClassVar[str | None] = None
    inference_action: ClassVar[str] = 'inference'
    timeout: ClassVar[float] = 60.0

    # -- hooks a plugin implements
    def handle_input(self, params: Any) -> dict[str, Any]:
        """The params of the inference call (default: the tool's params without the routing fields)."""
        data = params.model_dump(mode='json') if isinstance(params, BaseModel) else dict(params)
        for key in ('inference_url', 'model'):
            data.pop(key, None)
        return data

    def handle_output(self, output: Any) -> dict[str, Any]:
        """DM annotations from the inference result (default: detections -> DM v2 bounding boxes)."""
        detections = output.get('detections') if isinstance(output, Mapping) else output
        if not isinstance(detections, list):
            raise ValueError(
                f'{type(self).__name__}.handle_output() got {type(output).__name__}; override it to build DM '
                "annotations from this model's output"
            )
        return detections_to_dm(detections)

    # -- plumbing
    @property
    def model_id(self) -> str | None:
        value = self.param('model', 'model_id')
        return None if value is None else str(value)

    def resolve_inference_url(self) -> str | None:
        return self.param('inference_url') or self.inference_url or self.ctx.env.get_str(INFERENCE_URL_VAR) or None

    def run_inference(self, model_input: dict[str, Any]) -> Any:
        """Call the served deployment by URL, or run the inference plugin's action here."""
        url = self.resolve_inference_url()
        if url:
            from synapse_sdk.plugins._serving.client import ServeClient

            return ServeClient(str(url), timeout=self.timeout).predict(model_input, model_id=self.model_id)
        if self.inference_plugin:
            from synapse_sdk.plugins.executors.local import LocalExecutor
            from synapse_sdk.plugins.runner import discover_plugin

            discovery = discover_plugin(self.inference_plugin)
            params = dict(model_input)
            if self.model_id is not None:
                params.setdefault('model', self.model_id)
            executor = LocalExecutor(env=self.ctx.env, language=self.ctx.language, sinks=[], client=self.ctx.client)
            return executor.execute(
                discovery.get_action_class(self.inference_action), params, plugin_path=discovery.path
            )
        raise ConfigError(
            f'{type(self).__name__} has no model to call: pass inference_url (a served deployment), set '
            f'{INFERENCE_URL_VAR}, or set inference_plugin on the class'
        )

    def execute(self) -> dict[str, Any]:
        model_input = self.handle_input(self.params)
        output = self.run_inference(model_input)
        return self.handle_output(output)


__all__ = ['AutoLabelParams', 'BaseAutoLabelAction', 'annotation_id', 'detections_to_dm']
