"""A train action: dataset in, model out. The 'training' counts classes so it runs anywhere."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from pydantic import BaseModel

from synapse_sdk.plugins import BaseTrainAction


class TrainParams(BaseModel):
    dataset: int | str
    epochs: int = 3
    name: str = 'class-counter'
    format: str | None = None  # e.g. 'yolo' to train on a converted copy


class TrainAction(BaseTrainAction[TrainParams]):
    action_name = 'train'
    params_model = TrainParams

    def execute(self) -> dict[str, object]:
        dataset = self.get_dataset(format=self.params.format)
        self.set_progress(1, 3, self.progress.DATASET)

        weights = self._train(dataset.path)
        self.set_progress(2, 3, self.progress.TRAIN)

        model = self.create_model(weights, name=self.params.name, epochs=self.params.epochs)
        self.set_progress(3, 3, self.progress.MODEL_UPLOAD)
        return {'model_id': model['id'], 'checksum': model['file']['checksum'], 'items': dataset.count}

    def _train(self, root: Path) -> Path:
        counts: Counter[str] = Counter()
        for path in sorted(root.rglob('json/*.json')):
            for image in json.loads(path.read_text(encoding='utf-8')).get('images', []):
                for items in image.values():
                    counts.update(a.get('classification', '?') for a in items if isinstance(a, dict))
        for epoch in range(1, self.params.epochs + 1):
            self.set_progress(epoch, self.params.epochs, self.progress.TRAIN)
            self.set_metrics({'epoch': epoch, 'classes': len(counts)}, self.progress.TRAIN)
        weights = self.temp_dir('train-example-') / 'weights.json'
        weights.write_text(json.dumps({'epochs': self.params.epochs, 'class_counts': dict(counts)}, sort_keys=True))
        return weights
