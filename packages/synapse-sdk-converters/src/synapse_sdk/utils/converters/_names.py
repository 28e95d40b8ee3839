"""Item names that stay unique inside a split, and images found in nested sub-folders.

Real datasets keep images in sub-folders (``images/train/cam1/0001.jpg``) and reuse a stem in two
folders (``cam1/0001.jpg``, ``cam2/0001.jpg``). Both are kept: the second gets a name built from its
sub-folder (``cam2_0001``), and the rename is reported.
"""

from __future__ import annotations

import os
from pathlib import Path

from synapse_sdk.utils.converters._layout import IMAGE_EXTENSIONS
from synapse_sdk.utils.converters._report import Report

_IMAGE_EXT = frozenset(IMAGE_EXTENSIONS)


def walk_images(folder: Path) -> list[str]:
    """Every image under ``folder``, sub-folders included, as sorted path strings (hidden folders skipped)."""
    found: list[str] = []
    stack = [str(folder)]
    splitext = os.path.splitext
    while stack:
        current = stack.pop()
        try:
            entries = list(os.scandir(current))
        except OSError:
            continue
        for entry in entries:
            name = entry.name
            if splitext(name)[1].lower() in _IMAGE_EXT:
                found.append(entry.path)
            elif entry.is_dir() and not name.startswith('.'):
                stack.append(entry.path)
    found.sort()  # one common prefix: the order of the paths relative to ``folder``
    return found


class UniqueNames:
    """Hands out one item name per image of a split; a repeated stem gets its sub-folder as prefix."""

    def __init__(self, report: Report) -> None:
        self.report = report
        self._seen: dict[str, set[str]] = {}

    def seen(self, split: str) -> set[str]:
        """The names handed out in ``split`` (a reader's hot loop checks it before calling :meth:`name`)."""
        return self._seen.setdefault(split, set())

    def name(self, split: str, stem: str, relative: str | Path, file: str | None = None) -> str:
        seen = self.seen(split)
        if stem not in seen:
            seen.add(stem)
            return stem
        rel = Path(relative)
        parent = '_'.join(rel.parent.parts) or rel.suffix.lstrip('.') or 'dup'  # a.jpg and a.png: 'png_a'
        candidate = f'{parent}_{stem}'
        count = 2
        while candidate in seen:
            candidate = f'{parent}_{stem}_{count}'
            count += 1
        seen.add(candidate)
        self.report.changed(
            f'another image of this split is also named {stem!r}; written as {candidate!r}', item=candidate, file=file
        )
        return candidate
