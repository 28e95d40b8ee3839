"""Export action defined as a plain function with @action."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

from synapse_sdk.plugins import RuntimeContext
from synapse_sdk.plugins.decorators import action


class ExportParams(BaseModel):
    format: Literal['onnx', 'torchscript', 'tflite'] = 'onnx'
    half: bool = False


@action(name='export', description='Export trained weights', params=ExportParams)
def export_model(params: ExportParams, ctx: RuntimeContext) -> dict[str, str]:
    ctx.log('export_started', {'format': params.format})
    precision = 'fp16' if params.half else 'fp32'
    return {'artifact': f'model-{precision}.{params.format}', 'format': params.format}
