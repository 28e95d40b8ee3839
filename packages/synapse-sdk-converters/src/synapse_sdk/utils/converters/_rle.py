"""COCO run-length masks <-> DM pixel indices, in pure Python.

COCO RLE runs go down columns (column-major, alternating background and foreground, starting with
background); DM ``segmentation`` lists row-major pixel indices ``y * width + x``.
"""

from __future__ import annotations


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


def pixels_to_counts(pixels: list[int], height: int, width: int) -> list[int]:
    """Uncompressed COCO RLE counts (column-major) for row-major pixel indices."""
    column_major = sorted({(p % width) * height + p // width for p in pixels if 0 <= p < height * width})
    counts: list[int] = []
    position = 0
    run_start = None
    previous = -2
    for index in column_major:
        if index != previous + 1:
            if run_start is not None:
                counts.append(previous + 1 - run_start)
                position = previous + 1
            counts.append(index - position)
            run_start = index
        previous = index
    if run_start is not None:
        counts.append(previous + 1 - run_start)
        position = previous + 1
    if position < height * width or not counts:
        counts.append(height * width - position)
    return counts


def pixel_bounds(pixels: list[int], width: int) -> tuple[float, float, float, float]:
    xs = [p % width for p in pixels]
    ys = [p // width for p in pixels]
    x0, y0 = min(xs), min(ys)
    return float(x0), float(y0), float(max(xs) - x0 + 1), float(max(ys) - y0 + 1)
