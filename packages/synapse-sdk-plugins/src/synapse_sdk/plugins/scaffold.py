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

from synapse_sdk.plugins.actions.inference import BaseInferenceAction


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

from synapse_sdk.plugins.actions.auto_label import AutoLabelParams, BaseAutoLabelAction, annotation_id


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

_TEMPLATES = {'inference': _INFERENCE_TEMPLATE, 'auto_label': _AUTO_LABEL_TEMPLATE}


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
            template.format(action=action, name=name, camel=_camel(action)), encoding='utf-8'
        )
    (root / 'config.yaml').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    (root / 'plugin' / '__init__.py').write_text(f'"""{name}."""\n', encoding='utf-8')
    (root / 'requirements.txt').write_text('# one requirement per line, e.g. numpy>=1.26\n', encoding='utf-8')
    (root / '.synapseignore').write_text('# paths left out of `synapse plugin publish` and Ray uploads\ndata/\n')
    first = actions[0]
    usage = f'synapse plugin run {first} --params \'{{"items": 3}}\''
    if cat is PluginCategory.SMART_TOOL:
        usage = f'synapse plugin run {first}'
    if 'inference' in actions:
        usage += '\nsynapse plugin serve inference --port 8000   # Ctrl-C stops; --address HOST:6379 for Ray Serve'
    (root / 'README.md').write_text(
        f'# {name}\n\n{description or name}\n\n```bash\nsynapse plugin list\n{usage}\n```\n',
        encoding='utf-8',
    )
    return root
