"""Each package root is its public surface: every name it lists resolves, and its errors are there."""

from __future__ import annotations

import importlib
import inspect

import pytest

from synapse_sdk.core.errors import SynapseError

ROOTS = {
    'synapse_sdk.core': 'synapse_sdk.core.errors',
    'synapse_sdk.plugins': 'synapse_sdk.plugins.errors',
    'synapse_sdk.utils.storage': 'synapse_sdk.utils.storage.errors',
    'synapse_sdk.utils.converters': 'synapse_sdk.utils.converters.errors',
    'synapse_sdk.ray': 'synapse_sdk.ray.errors',
}


@pytest.mark.parametrize('root', sorted(ROOTS))
def test_every_listed_name_resolves(root: str) -> None:
    module = importlib.import_module(root)
    missing = [name for name in module.__all__ if getattr(module, name, None) is None]
    assert missing == []


@pytest.mark.parametrize(('root', 'errors'), sorted(ROOTS.items()))
def test_errors_are_exported_from_the_root(root: str, errors: str) -> None:
    module = importlib.import_module(root)
    defined = {
        name
        for name, value in vars(importlib.import_module(errors)).items()
        if inspect.isclass(value) and issubclass(value, SynapseError) and value.__module__ == errors
    }
    assert sorted(defined - set(module.__all__)) == []


def test_every_error_class_lives_in_an_errors_module() -> None:
    # the style rule "each package's errors in its errors.py": one place to look for what can be raised
    import ast
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / 'packages'
    strays = []
    for path in root.glob('*/src/synapse_sdk/**/*.py'):
        if path.name == 'errors.py':
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding='utf-8'))):
            if isinstance(node, ast.ClassDef) and node.name.endswith('Error'):
                bases = {getattr(base, 'id', getattr(base, 'attr', '')) for base in node.bases}
                if any(base.endswith(('Error', 'Exception')) for base in bases):
                    strays.append(f'{path.relative_to(root)}: {node.name}')
    assert strays == []
