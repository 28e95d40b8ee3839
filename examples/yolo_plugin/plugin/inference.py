"""Inference action, referenced with the colon entrypoint form (plugin.inference:InferAction)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction


class InferParams(BaseModel):
    images: list[str] = Field(min_length=1, description='Image paths or URLs')
    confidence: float = Field(0.25, ge=0, le=1)


class InferAction(BaseAction[InferParams]):
    action_name = 'infer'

    def execute(self) -> dict[str, list[dict[str, object]]]:
        predictions = []
        for index, image in enumerate(self.params.images, 1):
            score = round(0.5 + 0.5 / index, 3)
            if score >= self.params.confidence:
                predictions.append({'image': image, 'label': 'person', 'score': score, 'bbox': [10, 20, 110, 220]})
            self.set_progress(index, len(self.params.images), category='inference')
        return {'predictions': predictions}
