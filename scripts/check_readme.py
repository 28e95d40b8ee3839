"""Run README's shell commands as written, in a fresh clone, after README's own set-up.

A newcomer copies these lines; if one fails for them it fails here first. Blocks are taken in
order from the README. Not run, and printed as such: blocks marked ``# needs: ray`` (the Ray
suite runs the same commands against a real head), the users' ``pip install`` section (it installs
the published package from PyPI, not this tree), the system-package and test commands (CI runs
them as its own steps).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r'^```bash\n(.*?)^```', re.S | re.M)
NOT_HERE = {
    'Install (users)': 'installs the published package from PyPI',
}
CI_STEPS = ('.ci/install-system-deps', 'uv run pytest')


def blocks(readme: str) -> list[tuple[str, str]]:
    """(section, block text) for every bash block."""
    found = []
    for match in BLOCK.finditer(readme):
        heading = re.findall(r'^## (.+)$', readme[: match.start()], re.M)
        found.append((heading[-1] if heading else '', match.group(1)))
    return found


def runnable(section: str, text: str) -> str | None:
    """Why the block is not run here, or None to run it."""
    if section in NOT_HERE:
        return NOT_HERE[section]
    if re.search(r'^# needs: ', text, re.M):
        return 'needs ' + text.split('# needs: ', 1)[1].split()[0]
    if any(step in text for step in CI_STEPS):
        return 'a CI step of its own'
    return None


def main() -> int:
    readme = (ROOT / 'README.md').read_text(encoding='utf-8')
    with tempfile.TemporaryDirectory(prefix='readme-') as scratch:
        clone = Path(scratch) / 'clone'
        subprocess.run(['git', 'clone', '--quiet', '--no-hardlinks', str(ROOT), str(clone)], check=True)
        env = {k: v for k, v in os.environ.items() if k not in ('VIRTUAL_ENV', 'SYNAPSE_LANGUAGE')}
        env.update({'SYNAPSE_HOME': str(Path(scratch) / 'home'), 'NO_COLOR': '1', 'UV_PYTHON_DOWNLOADS': 'never'})
        ran = 0
        for section, text in blocks(readme):
            why = runnable(section, text)
            first = text.strip().splitlines()[0]
            if why:
                print(f'skip  [{section}] {first}  ({why})')
                continue
            print(f'run   [{section}] {first}', flush=True)
            done = subprocess.run(['bash', '-euo', 'pipefail', '-c', text], cwd=clone, env=env, text=True,
                                  capture_output=True, timeout=600)  # fmt: skip
            if done.returncode != 0:
                print(done.stdout[-4000:], done.stderr[-4000:], sep='\n', file=sys.stderr)
                print(f'README block in {section!r} failed (exit {done.returncode}):\n{text}', file=sys.stderr)
                return 1
            ran += 1
        print(f'README: {ran} blocks ran as written in a fresh clone')
    return 0


if __name__ == '__main__':
    raise SystemExit(main())
