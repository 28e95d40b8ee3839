"""The served action: load a colour model once (by model id), find its blobs in each image sent."""

from __future__ import annotations

import io
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from inference_example.model import DEFAULT_MODEL, BlobModel
from synapse_sdk.plugins import BaseInferenceAction

MAX_IMAGE_BYTES = 32 * 1024 * 1024


class DetectParams(BaseModel):
    image_path: str = Field(min_length=1, description='Path, file:// or http(s):// URL of the image')
    max_detections: int = Field(default=100, ge=1, le=10_000)
    model: str | None = None


def read_pixels(location: str) -> np.ndarray:
    """The RGB pixels of the image at ``location`` (a path or a URL)."""
    from PIL import Image

    if '://' in location and not location.startswith('file://'):
        with urllib.request.urlopen(location, timeout=30) as answer:
            data = answer.read(MAX_IMAGE_BYTES + 1)
        if len(data) > MAX_IMAGE_BYTES:
            raise ValueError(f'image at {location} is larger than {MAX_IMAGE_BYTES} bytes')
        source: Any = io.BytesIO(data)
    else:
        source = Path(
            urllib.parse.unquote(urllib.parse.urlsplit(location).path) if location.startswith('file://') else location
        )
        if not source.is_file():
            raise FileNotFoundError(f'no image at {location}')
    with Image.open(source) as image:
        return np.asarray(image.convert('RGB'))


class BlobDetector(BaseInferenceAction[DetectParams]):
    action_name = 'inference'

    def load_model(self, model_id: str | None) -> BlobModel:
        if model_id is None:
            return DEFAULT_MODEL
        return BlobModel.from_file(super().load_model(model_id))  # the model file, fetched from the backend

    def infer(self, model: BlobModel, inputs: DetectParams) -> dict[str, Any]:
        pixels = read_pixels(inputs.image_path)
        found = model.detect(pixels)[: inputs.max_detections]
        return {'model': model.name, 'size': [int(pixels.shape[1]), int(pixels.shape[0])], 'detections': found}
