"""Set one version on every workspace member and on every sibling ``==`` pin.

Usage: uv run python scripts/set_version.py 2.1.0 && uv lock
"""

from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
NAME = re.compile(r'(?m)^name = "([^"]+)"')


def main(version: str) -> int:
    files = sorted(ROOT.glob('packages/*/pyproject.toml'))
    names = [m.group(1) for f in files if (m := NAME.search(f.read_text()))]
    sibling = '|'.join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    pin = re.compile(rf'"(?P<req>(?:{sibling})(?:\[[^\]]*\])?)==[^";]+')
    for f in files:
        text = re.sub(r'(?m)^version = "[^"]*"', f'version = "{version}"', f.read_text(), count=1)
        f.write_text(pin.sub(rf'"\g<req>=={version}', text))
        print(f'{f.relative_to(ROOT)} -> {version}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1]))
