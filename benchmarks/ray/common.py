"""Shared helpers for the Ray benchmarks: a throwaway head (or RAY_BENCH_ADDRESS), a tiny plugin, tables."""

from __future__ import annotations

import os
import statistics
import tempfile
import textwrap
from pathlib import Path

os.environ.setdefault('RAY_AUTH_MODE', 'disabled')
os.environ.setdefault('RAY_ENABLE_UV_RUN_RUNTIME_ENV', '0')

PLUGIN_CODE = """
from synapse_sdk.plugins.decorators import action


def work(numbers):
    return {'total': sum(numbers), 'count': len(numbers)}


@action(name='sum')
def sum_action(params, ctx):
    return work(params['numbers'])
"""

BARE_SCRIPT = """
import json
from bench_plugin.actions import work
print(json.dumps(work(list(range(100)))))
"""


def make_plugin() -> Path:
    root = Path(tempfile.mkdtemp(prefix='synapse-bench-'))
    (root / 'bench_plugin').mkdir()
    (root / 'bench_plugin' / '__init__.py').write_text('', encoding='utf-8')
    (root / 'bench_plugin' / 'actions.py').write_text(textwrap.dedent(PLUGIN_CODE), encoding='utf-8')
    (root / 'bare.py').write_text(textwrap.dedent(BARE_SCRIPT), encoding='utf-8')
    return root


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def table(rows: list[tuple[str, float, float]], unit: str = 'ms') -> str:
    """rows: (what, ours, peer) medians -> a text table with ratios."""
    lines = [f'{"measure":<34} {"synapse":>12} {"peer":>12} {"ratio":>7}', '-' * 68]
    for what, ours, peer in rows:
        lines.append(f'{what:<34} {ours:>10.2f}{unit} {peer:>10.2f}{unit} {ours / peer:>6.2f}x')
    return '\n'.join(lines)
