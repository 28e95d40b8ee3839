"""Read a pip requirements file."""

from __future__ import annotations

import os
from pathlib import Path


def read_requirements(path: str | os.PathLike[str]) -> list[str] | None:
    """The requirement lines of ``path`` (comments and blanks removed), or ``None`` if it does not exist.

    A folder means its ``requirements.txt``. Option lines such as ``--extra-index-url`` are kept.
    """
    file = Path(path)
    if file.is_dir():
        file = file / 'requirements.txt'
    if not file.is_file():
        return None
    lines = []
    for raw in file.read_text(encoding='utf-8').splitlines():
        line = raw.split(' #', 1)[0].strip()
        if line and not line.startswith('#'):
            lines.append(line)
    return lines
