"""The error for a conversion that would write nothing: it says what it looked for and where."""

from __future__ import annotations

import os
from pathlib import Path

from synapse_sdk.utils.converters._model import Item
from synapse_sdk.utils.converters._report import Report
from synapse_sdk.utils.converters.errors import NothingConvertedError


def _short(path: str, root: Path) -> str:
    base = root.parent if root.is_file() else root
    try:
        return os.path.relpath(path, base) if Path(path).is_relative_to(base) else path
    except ValueError:
        return path


def nothing_converted(root: Path, report: Report, missing: Item | None, fmt: str) -> NothingConvertedError:
    """:class:`NothingConvertedError` naming the first missing image and the paths looked in, or the first problem."""
    skipped = [entry for entry in report.entries if entry.action == 'skipped']
    if missing is not None:
        looked = ', '.join(_short(p, root) for p in missing.looked_in) or _short(missing.source or '?', root)
        message = f'no image found for {missing.file_name}; looked in {looked}'
        if len(skipped) > 1:
            message += f' ({len(skipped)} items skipped)'
        return NothingConvertedError(
            message + '; pass images_dir=DIR',
            file=root,
            details={'cli_message': f'{root}: {message}; pass --images DIR', 'looked_in': list(missing.looked_in)},
        )
    if skipped:
        message = f'every item was skipped ({len(skipped)}); the first: {skipped[0]}'
    else:
        message = f'found no {fmt} items to convert'
    return NothingConvertedError(
        message + '; check the layout with `synapse dataset detect PATH`', file=root, details={'skipped': len(skipped)}
    )
