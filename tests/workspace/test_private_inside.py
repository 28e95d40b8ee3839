"""A public API with a private inside: what users may import is the package roots, the errors
modules and a short list of deep paths (the seed's, and two testing kits); everything else is
underscored, so using it is visibly using an implementation detail.

Read from the source tree and the user-facing texts (README, docs, examples, scaffolds), not from
what happens to be imported, so a new module or a new doc example cannot slip past.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import re
import sys

import pytest

from synapse_sdk.core._lazy import PORTIONS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Deep paths that stay public, and why.
PUBLIC_DEEP = {
    # The seed (the v2 release page) imports from these; plugins written against it run unchanged.
    'synapse_sdk.plugins.action': 'seed: from synapse_sdk.plugins.action import BaseAction',
    'synapse_sdk.plugins.actions': 'seed: the package of synapse_sdk.plugins.actions.to_task',
    'synapse_sdk.plugins.actions.to_task': 'seed: from synapse_sdk.plugins.actions.to_task import ToTaskAction',
    'synapse_sdk.plugins.datasets': 'seed: the converters re-exported for v1 code',
    'synapse_sdk.plugins.decorators': 'seed: from synapse_sdk.plugins.decorators import action',
    'synapse_sdk.plugins.discovery': 'seed: from synapse_sdk.plugins.discovery import PluginDiscovery',
    'synapse_sdk.plugins.enums': 'seed: from synapse_sdk.plugins.enums import PluginCategory, RunMethod',
    'synapse_sdk.plugins.executors': 'seed: the package of the executors below',
    'synapse_sdk.plugins.executors.local': 'seed: from synapse_sdk.plugins.executors.local import LocalExecutor',
    'synapse_sdk.plugins.executors.ray': 'seed: the package of the Ray executors below',
    'synapse_sdk.plugins.executors.ray.jobs_api': 'seed: ... import RayJobsApiExecutor',
    'synapse_sdk.plugins.executors.ray.task': 'seed: ... import RayActorExecutor',
    'synapse_sdk.plugins.runner': 'seed: from synapse_sdk.plugins.runner import run_plugin',
    'synapse_sdk.plugins.utils': 'seed: get_plugin_actions, get_action_method, read_requirements (v1 names)',
    # Testing kits: they need pytest/hypothesis or start processes, so no root imports them.
    'synapse_sdk.utils.converters.testing': 'docs: FormatContract, the contract suite third-party formats run',
    'synapse_sdk.ray.testing': 'docs: LocalHead, a throwaway Ray head for tests and benchmarks',
}

USER_TEXTS = [
    ROOT / 'README.md',
    *sorted((ROOT / 'docs').rglob('*.md')),
    *sorted((ROOT / 'examples').rglob('*.py')),
    *sorted((ROOT / 'examples').rglob('*.md')),
]
IMPORT_LINE = re.compile(r'^\s*(?:>>> )?(?:from (synapse_sdk[\w.]*) import|import (synapse_sdk[\w.]*))', re.M)
REFERENCE = re.compile(r'^:::\s*(\S+)', re.M)


def sdk_modules() -> list[tuple[str, pathlib.Path]]:
    found = []
    for source in sorted(ROOT.glob('packages/*/src/synapse_sdk/**/*.py')):
        parts = source.relative_to(source.parents[len(source.relative_to(ROOT).parts) - 4]).with_suffix('').parts
        found.append(('.'.join(parts[:-1] if parts[-1] == '__init__' else parts), source))
    return found


def is_public(module: str) -> bool:
    """A path users may import: a package root, an errors module, or an allowed deep path."""
    return module in PORTIONS or module.rsplit('.', 1)[-1] == 'errors' or module in PUBLIC_DEEP


def is_private(module: str) -> bool:
    return any(part.startswith('_') for part in module.split('.')[1:])


def test_every_module_is_underscored_or_deliberately_public() -> None:
    stray = [f'{module} ({path.relative_to(ROOT)})' for module, path in sdk_modules() if not is_private(module)]
    assert [name for name in stray if not is_public(name.split(' ')[0])] == []


def test_the_allowed_deep_paths_exist_and_are_not_private() -> None:
    modules = {module for module, _ in sdk_modules()}
    assert sorted(set(PUBLIC_DEEP) - modules) == []
    assert [name for name in PUBLIC_DEEP if is_private(name)] == []


@pytest.mark.parametrize('root', sorted(PORTIONS))
def test_every_root_lists_its_public_names(root: str) -> None:
    module = importlib.import_module(root)
    listed = getattr(module, '__all__', None)
    assert listed, f'{root} has no __all__'
    assert len(listed) == len(set(listed))
    assert [name for name in listed if name.startswith('_')] == []
    assert [name for name in listed if getattr(module, name, None) is None] == []


@pytest.mark.parametrize('text', USER_TEXTS, ids=lambda path: str(path.relative_to(ROOT)))
def test_user_texts_import_only_public_paths(text: pathlib.Path) -> None:
    content = text.read_text(encoding='utf-8')
    imported = [m.group(1) or m.group(2) for m in IMPORT_LINE.finditer(content)]
    assert [name for name in imported if not is_public(name)] == []


def test_the_api_reference_documents_only_public_paths() -> None:
    pages = sorted((ROOT / 'docs' / 'reference').glob('*.md'))
    referenced = [name for page in pages for name in REFERENCE.findall(page.read_text(encoding='utf-8'))]
    assert referenced
    assert [name for name in referenced if not is_public(name)] == []


def test_scaffolded_plugins_import_only_public_paths(tmp_path: pathlib.Path) -> None:
    from synapse_sdk.plugins import PluginCategory
    from synapse_sdk.plugins._scaffold import create_plugin

    imported = []
    for category in PluginCategory:
        target = create_plugin(tmp_path / category.value, name=f'demo {category.value}', category=category)
        for source in sorted(target.rglob('*.py')):
            tree = ast.parse(source.read_text(encoding='utf-8'))
            imported += [node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module]
            imported += [a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names]
    sdk = [name for name in imported if name.startswith('synapse_sdk')]
    assert sdk
    assert [name for name in sdk if not is_public(name)] == []


def test_entry_points_name_modules_that_exist() -> None:
    targets = []
    for pyproject in sorted(ROOT.glob('packages/*/pyproject.toml')):
        project = tomllib.loads(pyproject.read_text())['project']
        targets += list(project.get('scripts', {}).values())
        targets += [value for group in project.get('entry-points', {}).values() for value in group.values()]
    assert targets
    for target in targets:
        module, _, attr = target.partition(':')
        assert getattr(importlib.import_module(module), attr.split('.')[0], None) is not None, target
