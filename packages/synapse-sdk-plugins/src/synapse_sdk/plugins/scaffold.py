"""Create a new, runnable plugin folder for a category."""

from __future__ import annotations

import os
import re
from pathlib import Path

from synapse_sdk.plugins.enums import ACTION_DEFAULT_METHODS, PluginCategory, RunMethod
from synapse_sdk.plugins.errors import PluginError

CATEGORY_ACTIONS: dict[PluginCategory, tuple[str, ...]] = {
    PluginCategory.NEURAL_NET: ('train', 'infer'),
    PluginCategory.EXPORT: ('export',),
    PluginCategory.UPLOAD: ('upload',),
    PluginCategory.PRE_ANNOTATION: ('to_task',),
    PluginCategory.SMART_TOOL: ('auto_label',),
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
        if method is RunMethod.SERVE:
            method = RunMethod.TASK
        lines += [
            f'  {action}:',
            f'    entrypoint: plugin.{action}.{_camel(action)}Action',
            f'    method: {method.value}',
            f'    description: {action.replace("_", " ").capitalize()}',
        ]
        (root / 'plugin' / f'{action}.py').write_text(
            _ACTION_TEMPLATE.format(action=action, name=name, camel=_camel(action)), encoding='utf-8'
        )
    (root / 'config.yaml').write_text('\n'.join(lines) + '\n', encoding='utf-8')
    (root / 'plugin' / '__init__.py').write_text(f'"""{name}."""\n', encoding='utf-8')
    (root / 'requirements.txt').write_text('# one requirement per line, e.g. numpy>=1.26\n', encoding='utf-8')
    (root / '.synapseignore').write_text('# paths left out of `synapse plugin publish` and Ray uploads\ndata/\n')
    first = actions[0]
    (root / 'README.md').write_text(
        f'# {name}\n\n{description or name}\n\n```bash\nsynapse plugin list\nsynapse plugin run {first} --params '
        '\'{"items": 3}\'\n```\n',
        encoding='utf-8',
    )
    return root
