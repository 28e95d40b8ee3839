"""Layers point down: cli > ray > plugins > {storage, converters} > core.

Read from the source, not from what happens to be imported: every ``import`` statement (also the
lazy ones inside functions) must point at the same distribution or a lower layer, and a module
of another distribution may be named in a string only through the one guard,
``synapse_sdk.core._lazy.import_optional``. Which distribution owns which import path comes from
each ``pyproject.toml`` (``module-name``), and must match the guard's own table.
"""

from __future__ import annotations

import ast
import pathlib
import re
import sys

from synapse_sdk.core._lazy import PORTIONS, portion_of

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

ROOT = pathlib.Path(__file__).resolve().parents[2]
RANK = {
    'synapse-sdk-core': 0,
    'synapse-sdk-storage': 1,
    'synapse-sdk-converters': 1,
    'synapse-sdk-plugins': 2,
    'synapse-sdk-ray': 3,
    'synapse-sdk-cli': 4,
}
GUARD_FUNCTIONS = ('import_optional', 'missing_distribution')
SDK_STRING = re.compile(r'^synapse_sdk(\.[a-z_]+)+$')


def owners() -> dict[str, str]:
    found: dict[str, str] = {}
    for pyproject in sorted(ROOT.glob('packages/*/pyproject.toml')):
        data = tomllib.loads(pyproject.read_text())
        names = data['tool']['uv']['build-backend']['module-name']
        for name in [names] if isinstance(names, str) else names:
            found[name] = data['project']['name']
    return found


def distribution_of(module: str) -> str | None:
    portion = portion_of(module)
    return PORTIONS[portion][0] if portion else None


def in_type_checking(node: ast.AST, parents: dict[ast.AST, ast.AST]) -> bool:
    while node in parents:
        node = parents[node]
        if isinstance(node, ast.If) and 'TYPE_CHECKING' in ast.unparse(node.test):
            return True
    return False


def edges() -> list[tuple[str, int, str, str, str]]:
    """(file, line, kind, from-distribution, imported module) for every SDK import of another distribution."""
    found = []
    for source in sorted(ROOT.glob('packages/*/src/synapse_sdk/**/*.py')):
        module = '.'.join(
            source.relative_to(source.parents[len(source.relative_to(ROOT).parts) - 4]).with_suffix('').parts
        )
        own = distribution_of(module)
        assert own is not None, source
        tree = ast.parse(source.read_text(encoding='utf-8'))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module]
            for target in targets:
                other = distribution_of(target)
                if other and other != own and not in_type_checking(node, parents):
                    found.append((str(source.relative_to(ROOT)), getattr(node, 'lineno', 0), 'import', own, target))
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and SDK_STRING.match(node.value):
                other = distribution_of(node.value)
                call = parents.get(node)
                guarded = isinstance(call, ast.Call) and ast.unparse(call.func).endswith(GUARD_FUNCTIONS)
                if other and other != own and not guarded:
                    found.append((str(source.relative_to(ROOT)), node.lineno, 'string', own, node.value))
    return found


def test_the_guard_knows_every_portion_the_pyprojects_declare() -> None:
    assert owners() == {portion: distribution for portion, (distribution, _) in PORTIONS.items()}


def test_imports_point_down_only() -> None:
    upward = [
        f'{file}:{line}: {own} imports {target}'
        for file, line, kind, own, target in edges()
        if kind == 'import' and RANK[distribution_of(target) or ''] >= RANK[own]
    ]
    assert upward == []


def test_other_distributions_are_named_in_strings_only_through_the_guard() -> None:
    guard = 'packages/synapse-sdk-core/src/synapse_sdk/core/_lazy.py'  # its table names every portion
    hidden = [
        f'{file}:{line}: {target!r}' for file, line, kind, _, target in edges() if kind == 'string' and file != guard
    ]
    assert hidden == []


def test_the_lazy_shims_are_guarded_edges() -> None:
    # The seed's paths into -ray and -converters are real edges the checker sees, through the guard.
    assert any(
        kind == 'import' and target == 'synapse_sdk.utils.converters' and own == 'synapse-sdk-plugins'
        for _, _, kind, own, target in edges()
    )
