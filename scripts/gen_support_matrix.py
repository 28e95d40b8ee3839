"""Regenerate the support matrix in docs/converters.md from what each registered writer holds.

Usage: uv run python scripts/gen_support_matrix.py          # rewrite the page
       uv run python scripts/gen_support_matrix.py --check  # exit 1 when the page is out of date
"""

from __future__ import annotations

import pathlib
import sys

from synapse_sdk.utils.converters._support import replace_matrix

PAGE = pathlib.Path(__file__).resolve().parents[1] / 'docs' / 'converters.md'


def main(argv: list[str]) -> int:
    text = PAGE.read_text(encoding='utf-8')
    fresh = replace_matrix(text)
    if '--check' in argv:
        if fresh != text:
            print(f'{PAGE} is out of date: run uv run python scripts/gen_support_matrix.py', file=sys.stderr)
            return 1
        return 0
    PAGE.write_text(fresh, encoding='utf-8')
    return 0


if __name__ == '__main__':
    raise SystemExit(main(sys.argv[1:]))
