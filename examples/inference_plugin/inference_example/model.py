"""A colour-blob detector in NumPy: pixels near one colour, grouped into 4-connected blobs, one box each.

A model is a small JSON file (``{"name", "label", "color": [r, g, b], "tolerance", "min_area"}``),
so models can be registered on a backend, multiplexed by id and loaded without any download.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np


@dataclass(frozen=True)
class BlobModel:
    name: str
    label: str
    color: tuple[int, int, int]
    tolerance: int = 60
    min_area: int = 4

    @classmethod
    def from_file(cls, path: str | Path) -> BlobModel:
        data = json.loads(Path(path).read_text(encoding='utf-8'))
        return cls(
            name=str(data['name']),
            label=str(data.get('label', data['name'])),
            color=(int(data['color'][0]), int(data['color'][1]), int(data['color'][2])),
            tolerance=int(data.get('tolerance', 60)),
            min_area=int(data.get('min_area', 4)),
        )

    def mask(self, pixels: np.ndarray) -> np.ndarray:
        """Pixels whose every channel is within ``tolerance`` of the model's colour."""
        diff = np.abs(pixels[..., :3].astype(np.int16) - np.array(self.color, dtype=np.int16))
        return np.asarray((diff <= self.tolerance).all(axis=-1))

    def detect(self, pixels: np.ndarray) -> list[dict[str, Any]]:
        """``[{'bbox': [x, y, w, h], 'label', 'score'}]``, largest blob first (score: blob fill of its box)."""
        found = []
        for x0, y0, x1, y1, area in blobs(self.mask(pixels)):
            if area < self.min_area:
                continue
            w, h = x1 - x0 + 1, y1 - y0 + 1
            found.append({'bbox': [x0, y0, w, h], 'label': self.label, 'score': round(area / (w * h), 4), 'area': area})
        found.sort(key=lambda d: -int(d['area']))
        return found


def _runs(row: np.ndarray) -> list[tuple[int, int]]:
    """``(start, end)`` (inclusive) of each run of True in a boolean row."""
    padded = np.concatenate(([False], row, [False])).astype(np.int8)
    edges = np.flatnonzero(np.diff(padded))
    return [(int(s), int(e) - 1) for s, e in zip(edges[::2], edges[1::2], strict=True)]


def blobs(mask: np.ndarray) -> list[tuple[int, int, int, int, int]]:
    """4-connected components of ``mask`` as ``(x0, y0, x1, y1, area)``: run-length union-find."""
    parent: list[int] = []

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    runs: list[tuple[int, int, int]] = []  # (y, start, end)
    previous: list[tuple[int, int, int]] = []  # (start, end, run index) of the row above
    for y, row in enumerate(mask):
        current = []
        for start, end in _runs(row):
            index = len(runs)
            runs.append((y, start, end))
            parent.append(index)
            for p_start, p_end, p_index in previous:
                if p_start <= end and start <= p_end:  # overlapping columns: the same blob
                    a, b = find(index), find(p_index)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
            current.append((start, end, index))
        previous = current
    boxes: dict[int, list[int]] = {}
    for index, (y, start, end) in enumerate(runs):
        box = boxes.setdefault(find(index), [start, y, end, y, 0])
        box[0], box[1] = min(box[0], start), min(box[1], y)
        box[2], box[3] = max(box[2], end), max(box[3], y)
        box[4] += end - start + 1
    return [(b[0], b[1], b[2], b[3], b[4]) for b in boxes.values()]


DEFAULT_MODEL = BlobModel(name='red', label='red_blob', color=(220, 30, 30))
