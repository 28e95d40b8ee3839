"""Run-length masks <-> DM pixel indices, in pure Python: COCO's RLE, and the run loop CVAT's shares.

COCO RLE runs go down columns (column-major, alternating background and foreground, starting with
background); DM ``segmentation`` lists row-major pixel indices ``y * width + x``.
"""

from __future__ import annotations

from collections.abc import Iterable


def decode_counts(text: str) -> list[int]:
    """Counts of a compressed COCO RLE string (the LEB128-like encoding of ``maskApi.c``)."""
    counts: list[int] = []
    position = 0
    size = len(text)
    while position < size:
        value = 0
        shift = 0
        more = True
        while more:
            if position >= size:
                raise ValueError('truncated RLE string')
            char = ord(text[position]) - 48
            if char < 0 or char > 63:
                raise ValueError('invalid character in RLE string')
            value |= (char & 0x1F) << shift
            more = bool(char & 0x20)
            position += 1
            shift += 5
            if not more and char & 0x10:
                value |= -1 << shift
        if len(counts) > 2:
            value += counts[-2]
        counts.append(value)
    return counts


def counts_to_pixels(counts: list[int], height: int, width: int) -> list[int]:
    """Row-major pixel indices of the foreground runs."""
    total = height * width
    pixels: list[int] = []
    position = 0
    for index, run in enumerate(counts):
        if run < 0 or position + run > total:
            raise ValueError('RLE counts exceed the mask size')
        if index % 2:
            for column_major in range(position, position + run):
                x, y = divmod(column_major, height)
                pixels.append(y * width + x)
        position += run
    pixels.sort()
    return pixels


def run_lengths(indices: Iterable[int], total: int) -> list[int]:
    """Alternating run lengths over positions ``0..total-1``: absent, present, absent, ...

    ``indices`` are the present positions, sorted and unique. The list starts with an absent run and
    ends with one (either may be 0), as CVAT's mask RLE writes it; COCO drops a trailing 0.
    """
    counts: list[int] = []
    start: int | None = None
    end = 0  # one past the last present position seen
    for index in indices:
        if start is None or index != end:
            if start is not None:
                counts.append(end - start)
            counts.append(index - end)
            start = index
        end = index + 1
    if start is not None:
        counts.append(end - start)
    counts.append(total - end)
    return counts


def pixels_to_counts(pixels: list[int], height: int, width: int) -> list[int]:
    """Uncompressed COCO RLE counts (column-major) for row-major pixel indices."""
    column_major = sorted({(p % width) * height + p // width for p in pixels if 0 <= p < height * width})
    counts = run_lengths(column_major, height * width)
    if len(counts) > 1 and counts[-1] == 0:
        counts.pop()
    return counts


def pixel_bounds(pixels: list[int], width: int) -> tuple[float, float, float, float]:
    xs = [p % width for p in pixels]
    ys = [p // width for p in pixels]
    x0, y0 = min(xs), min(ys)
    return float(x0), float(y0), float(max(xs) - x0 + 1), float(max(ys) - y0 + 1)
