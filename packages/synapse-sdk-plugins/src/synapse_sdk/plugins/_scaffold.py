"""Create a new, runnable plugin folder for a category."""

from __future__ import annotations

import os
import re
from pathlib import Path

from synapse_sdk.plugins.enums import ACTION_DEFAULT_METHODS, PluginCategory, RunMethod
from synapse_sdk.plugins.errors import PluginError

CATEGORY_ACTIONS: dict[PluginCategory, tuple[str, ...]] = {
    PluginCategory.NEURAL_NET: ('train', 'inference'),
    PluginCategory.EXPORT: ('export',),
    PluginCategory.UPLOAD: ('upload',),
    PluginCategory.PRE_ANNOTATION: ('to_task',),
    PluginCategory.SMART_TOOL: ('auto_label', 'inference'),
    PluginCategory.POST_ANNOTATION: ('run',),
    PluginCategory.DATA_VALIDATION: ('validate',),
    PluginCategory.CUSTOM: ('run',),
}

_ACTION_TEMPLATE = '''"""The {action} action of {name}."""

from __future__ import annotations

from pydantic import BaseModel, Field

from synapse_sdk.plugins.action import BaseAction


class {camel}Params(BaseModel):
    items: int = Field(3, ge=1, description='How many items to process')


class {camel}Action(BaseAction[{camel}Params]):
    action_name = '{action}'

    def execute(self) -> dict[str, int]:
        for index in range(1, self.params.items + 1):
            self.set_progress(index, self.params.items, category='{action}')
        done = {{'en': 'Processed {{count}} items', 'ko': '{{count}}개 항목을 처리했습니다'}}
        self.ctx.log_message(done, count=self.params.items)
        return {{'processed': self.params.items}}
'''


_INFERENCE_TEMPLATE = '''"""The served inference action of {name}: load a model once, answer many requests.

Serve it here (Ctrl-C stops) or on Ray:  synapse plugin serve inference [--address HOST:6379]
Then:  curl -X POST <url> -d '{{"values": [0.2, 0.7, 0.9]}}'  (model id: serve_multiplexed_model_id header)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from synapse_sdk.plugins import BaseInferenceAction


class InferenceParams(BaseModel):
    values: list[float] = Field(min_length=1, description='Scores to classify')
    model: str | None = None


class InferenceAction(BaseInferenceAction[InferenceParams]):
    action_name = 'inference'

    def load_model(self, model_id: str | None) -> dict[str, Any]:
        if model_id is None:
            return {{'threshold': 0.5, 'label': 'positive'}}  # a built-in default model
        return dict(json.loads(Path(super().load_model(model_id)).read_text()))  # a model file from the backend

    def infer(self, model: dict[str, Any], inputs: InferenceParams) -> dict[str, Any]:
        hits = [index for index, value in enumerate(inputs.values) if value >= model['threshold']]
        return {{'label': model['label'], 'hits': hits}}
'''

_AUTO_LABEL_TEMPLATE = '''"""The smart tool of {name}: one editor request -> the model -> DM v2 annotations.

With inference_url (a served deployment) the model is called over HTTP; without, this plugin's own
inference action runs here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synapse_sdk.plugins import AutoLabelParams, BaseAutoLabelAction, annotation_id


class AutoLabelRequest(AutoLabelParams):
    values: list[float] = [0.2, 0.7, 0.9]


class AutoLabelAction(BaseAutoLabelAction[AutoLabelRequest]):
    action_name = 'auto_label'
    inference_plugin = str(Path(__file__).resolve().parents[1])

    def handle_input(self, params: AutoLabelRequest) -> dict[str, Any]:
        return {{'values': params.values}}

    def handle_output(self, output: dict[str, Any]) -> dict[str, Any]:
        label = output['label']
        tags = [{{'id': annotation_id(), 'classification': label, 'attrs': [], 'data': {{}}}} for _ in output['hits']]
        return {{'classification': {{'classification': [label]}}, 'images': [{{'classification': tags}}]}}
'''

_TRAIN_TEMPLATE = '''"""The train action of {name}: a dataset in, a registered model out.

Runs as it is on the embedded local backend (a built-in toy dataset); on your data:
    synapse dataset register my-data DATASET_FOLDER
    synapse plugin run train --params '{{"dataset": "my-data", "epochs": 5}}'
"""

from __future__ import annotations

import json
from collections import Counter

from pydantic import BaseModel, Field

from synapse_sdk.plugins import BaseTrainAction


class TrainParams(BaseModel):
    dataset: int | str | None = Field(None, description='A registered dataset (id or name); none: a toy dataset')
    epochs: int = Field(3, ge=1, description='Training epochs')
    name: str = Field('{code}-model', description='Name of the registered model')


class TrainAction(BaseTrainAction[TrainParams]):
    action_name = 'train'

    def execute(self) -> dict[str, object]:
        counts = self.class_counts()
        self.set_progress(1, 1, self.progress.DATASET)
        for epoch in range(1, self.params.epochs + 1):  # replace with your training loop
            self.set_progress(epoch, self.params.epochs, self.progress.TRAIN)
            self.set_metrics({{'epoch': epoch, 'loss': round(1 / epoch, 4)}}, self.progress.TRAIN)
        weights = self.temp_dir('train-') / 'weights.json'
        weights.write_text(json.dumps({{'epochs': self.params.epochs, 'classes': dict(counts)}}, sort_keys=True))
        model = self.create_model(weights, name=self.params.name, epochs=self.params.epochs)
        self.set_progress(1, 1, self.progress.MODEL_UPLOAD)
        return {{'model_id': model['id'], 'classes': len(counts)}}

    def class_counts(self) -> Counter[str]:
        if self.params.dataset is None:
            return Counter({{'cat': 3, 'dog': 2}})
        dataset = self.get_dataset()
        counts: Counter[str] = Counter()
        for path in sorted(dataset.path.rglob('json/*.json')):
            for image in json.loads(path.read_text(encoding='utf-8')).get('images', []):
                for annotations in image.values():
                    counts.update(a.get('classification', '?') for a in annotations if isinstance(a, dict))
        return counts
'''

_EXPORT_TEMPLATE = '''"""The export action of {name}: annotated data -> any converter format -> any storage.

    synapse dataset register my-data DATASET_FOLDER
    synapse plugin run export --params \\
      '{{"target": "ground_truth", "filter": {{"dataset": "my-data"}}, "format": "coco", "path": "exports/coco"}}'
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from synapse_sdk.plugins import BaseExportAction, ExportParams


class ExportAction(BaseExportAction[ExportParams]):
    action_name = 'export'

    def get_filtered_results(self, filters: dict[str, Any]) -> tuple[Iterable[dict[str, Any]], int]:
        # Narrow what is exported here (e.g. only submitted work); the default flow does the rest.
        return super().get_filtered_results(filters)
'''

_UPLOAD_TEMPLATE = '''"""The upload action of {name}: ordered steps; when one fails, the completed ones are undone.

    synapse plugin run upload --params '{{"path": "FOLDER_OF_IMAGES", "dataset": "my-uploads"}}'
"""

from __future__ import annotations

from synapse_sdk.plugins import DefaultUploadAction, StepRegistry, UploadContext


class UploadAction(DefaultUploadAction):
    action_name = 'upload'

    def get_allowed_extensions(self) -> dict[str, list[str]] | None:
        return {{'image': ['.png', '.jpg', '.jpeg'], 'annotation': ['.json']}}

    def setup_steps(self, registry: StepRegistry[UploadContext]) -> None:
        super().setup_steps(registry)  # add your own steps with registry.insert_after(...)
'''

_TO_TASK_TEMPLATE = '''"""The pre-annotation action of {name}: label files or a model's answers become DM v2 data.

    synapse dataset register raw FOLDER_WITH_IMAGES_AND_LABELS --project pre
    synapse plugin run to_task --params '{{"project": 1, "method": "file", "target_specification_name": "labels"}}'
    With a served model:  --params '{{"project": 1, "method": "inference", "inference_url": "http://127.0.0.1:8000/..."}}'
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.plugins import ToTaskAction as BaseToTaskAction


def boxes_to_dm(boxes: list[list[Any]]) -> dict[str, Any]:
    """``[[x, y, w, h, class], ...]`` as one DM v2 image with bounding boxes."""
    annotations = [
        {{'id': f'box{{index:07d}}', 'classification': str(label), 'attrs': [], 'data': [x, y, w, h]}}
        for index, (x, y, w, h, label) in enumerate(boxes)
    ]
    classes = sorted({{a['classification'] for a in annotations}})
    return {{'classification': {{'bounding_box': classes}}, 'images': [{{'bounding_box': annotations}}]}}


class ToTaskAction(BaseToTaskAction):
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
'''

# The category's base class as a runnable example; any other action gets the generic template.
_TEMPLATES = {
    'train': _TRAIN_TEMPLATE,
    'export': _EXPORT_TEMPLATE,
    'upload': _UPLOAD_TEMPLATE,
    'to_task': _TO_TASK_TEMPLATE,
    'inference': _INFERENCE_TEMPLATE,
    'auto_label': _AUTO_LABEL_TEMPLATE,
}

# The first command a new plugin's README shows, per first action.
_USAGE = {
    'train': 'synapse plugin run train --params \'{"epochs": 3}\'',
    'export': 'synapse plugin run export --params \'{"target": "ground_truth", "filter": {"dataset": "my-data"}, '
    '"format": "coco", "path": "exports/coco"}\'',
    'upload': 'synapse plugin run upload --params \'{"path": "FOLDER_OF_IMAGES", "dataset": "my-uploads"}\'',
    'to_task': 'synapse plugin run to_task --params \'{"project": 1, "method": "file", '
    '"target_specification_name": "labels"}\'',
    'auto_label': 'synapse plugin run auto_label',
}


def slugify(text: str) -> str:
    slug = re.sub(r'[^a-z0-9]+', '-', text.lower()).strip('-')
    return slug or 'my-plugin'


def _camel(action: str) -> str:
    return ''.join(part.capitalize() for part in action.split('_'))


def create_plugin(
    path: str | os.PathLike[str],
    *,
    name: str,
    code: str | None = None,
    category: PluginCategory | str = PluginCategory.CUSTOM,
    description: str = '',
) -> Path:
    """Write ``config.yaml``, ``plugin/<action>.py``, ``requirements.txt`` and a README into ``path``."""
    try:
        cat = PluginCategory(str(category))
    except ValueError:
        allowed = ', '.join(c.value for c in PluginCategory)
        raise PluginError(f'Unknown category {category!r}; use one of: {allowed}') from None
    root = Path(path)
    if root.exists() and any(root.iterdir()):
        raise PluginError(f'{root} already exists and is not empty; choose a new folder', details={'path': str(root)})
    slug = code or slugify(name)
    actions = CATEGORY_ACTIONS[cat]
    (root / 'plugin').mkdir(parents=True, exist_ok=True)
    lines = [
        f'name: {name}',
        f'code: {slug}',
        'version: 0.1.0',
        f'category: {cat.value}',
        f'description: {description or name}',
        '',
        'actions:',
    ]
    for action in actions:
        method = ACTION_DEFAULT_METHODS.get(action, RunMethod.TASK)
        lines += [
            f'  {action}:',
            f'    entrypoint: plugin.{action}.{_camel(action)}Action',
            f'    method: {method.value}',
            f'    description: {action.replace("_", " ").capitalize()}',
        ]
        template = _TEMPLATES.get(action, _ACTION_TEMPLATE)
        (root / 'plugin' / f'{action}.py').write_text(
            template.format(action=action, name=name, camel=_camel(action), code=slug), encoding='utf-8'
        )
    (root / 'config.yaml').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    (root / 'plugin' / '__init__.py').write_text(f'"""{name}."""\n', encoding='utf-8')
    (root / 'requirements.txt').write_text('# one requirement per line, e.g. numpy>=1.26\n', encoding='utf-8')
    (root / '.synapseignore').write_text('# paths left out of `synapse plugin publish` and Ray uploads\ndata/\n')
    first = actions[0]
    usage = _USAGE.get(first, f'synapse plugin run {first} --params \'{{"items": 3}}\'')
    if 'inference' in actions:
        usage += '\nsynapse plugin serve inference --port 8000   # Ctrl-C stops; --address HOST:6379 for Ray Serve'
    (root / 'README.md').write_text(
        f'# {name}\n\n{description or name}\n\n```bash\nsynapse plugin list\n{usage}\n```\n',
        encoding='utf-8',
    )
    return root
