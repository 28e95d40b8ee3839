"""MkDocs hooks: pages made from the code, so they cannot drift from it.

- ``troubleshooting.md``: every error class the SDK raises on purpose, from each package's
  ``errors.py``, with the builtin it also is and its docstring (what it means, what to do).
- ``changelog.md``: the repository's ``CHANGELOG.md``.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parents[1]


def _error_files() -> list[Path]:
    return sorted(ROOT.glob('packages/*/src/synapse_sdk/**/errors.py'))


def _module(path: Path) -> str:
    parts = path.relative_to(path.parents[len(path.relative_to(ROOT).parts) - 4]).with_suffix('').parts
    return '.'.join(parts)


def troubleshooting() -> str:
    lines = [
        '# Troubleshooting',
        '',
        'Every error the SDK raises on purpose derives from `SynapseError` and from the closest builtin,',
        'so `except ValueError` keeps working. In the CLI each is one line on stderr and exit code 1.',
        'This page is built from the error classes themselves: what each means and what to do.',
        '',
    ]
    for path in _error_files():
        module = _module(path)
        tree = ast.parse(path.read_text(encoding='utf-8'))
        classes = [node for node in tree.body if isinstance(node, ast.ClassDef)]
        if not classes:
            continue
        lines += [f'## `{module}`', '', '| error | also a | meaning |', '| --- | --- | --- |']
        for node in classes:
            bases = ', '.join(f'`{ast.unparse(base)}`' for base in node.bases)
            doc = ' '.join((ast.get_docstring(node) or '').split()).replace('|', '\\|')
            lines.append(f'| `{node.name}` | {bases} | {doc} |')
        lines.append('')
    return '\n'.join(lines)


def on_files(files: Files, config: Any) -> Files:
    generated = {
        'troubleshooting.md': troubleshooting(),
        'changelog.md': (ROOT / 'CHANGELOG.md').read_text(encoding='utf-8'),
    }
    for name, content in generated.items():
        files.append(File.generated(config, name, content=content))
    return files
