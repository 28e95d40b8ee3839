"""Rotated boxes: DM keeps ``bounding_box`` ``[x, y, w, h]`` plus a ``rotation`` attribute.

``rotation`` is in radians, clockwise on screen (image y points down), about the box centre: the
convention of Ultralytics OBB (``xywhr``). CVAT writes degrees about the centre; Label Studio
writes degrees about the top-left corner. These helpers convert between them.
"""

from __future__ import annotations

import math
from typing import Any

from synapse_sdk.utils.converters._model import Box

ROTATION = 'rotation'

Corners = list[tuple[float, float]]


def rotation_of(box: Box) -> float:
    """The box's rotation in radians (0 when it has none or it is not a finite number)."""
    value: Any = box.attrs.get(ROTATION, 0)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return 0.0
    return float(value)


def corners(cx: float, cy: float, w: float, h: float, r: float) -> Corners:
    """The four corners in Ultralytics' order (``xywhr2xyxyxyxy``)."""
    cos, sin = math.cos(r), math.sin(r)
    v1 = (w / 2 * cos, w / 2 * sin)
    v2 = (-h / 2 * sin, h / 2 * cos)
    return [
        (cx + v1[0] + v2[0], cy + v1[1] + v2[1]),
        (cx + v1[0] - v2[0], cy + v1[1] - v2[1]),
        (cx - v1[0] - v2[0], cy - v1[1] - v2[1]),
        (cx - v1[0] + v2[0], cy - v1[1] + v2[1]),
    ]


def box_corners(box: Box) -> Corners:
    return corners(box.x + box.w / 2, box.y + box.h / 2, box.w, box.h, rotation_of(box))


def from_corners(points: Corners) -> tuple[float, float, float, float, float, bool]:
    """``(cx, cy, w, h, r, is_rectangle)`` of four corners in :func:`corners` order.

    A quadrilateral that is not a rectangle (a hand-drawn DOTA quad) gets the rectangle with the
    same centre, the mean side lengths and the first side's angle; ``is_rectangle`` is then False.
    """
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = points
    cx, cy = (x1 + x2 + x3 + x4) / 4, (y1 + y2 + y3 + y4) / 4
    w = (math.hypot(x1 - x4, y1 - y4) + math.hypot(x2 - x3, y2 - y3)) / 2
    h = (math.hypot(x1 - x2, y1 - y2) + math.hypot(x4 - x3, y4 - y3)) / 2
    r = math.atan2((y1 - y4) + (y2 - y3), (x1 - x4) + (x2 - x3))
    rebuilt = corners(cx, cy, w, h, r)
    scale = max(w, h, 1.0)
    rect = all(math.hypot(a[0] - b[0], a[1] - b[1]) <= 1e-3 * scale for a, b in zip(rebuilt, points, strict=True))
    return cx, cy, w, h, r, rect


def rotated_box(label: str, cx: float, cy: float, w: float, h: float, r: float, attrs: dict[str, Any]) -> Box:
    """A DM box from centre, size and rotation (radians); ``rotation`` is set only when not 0."""
    attrs = dict(attrs)
    r = math.remainder(r, 2 * math.pi)
    if abs(r) > 1e-9:
        attrs[ROTATION] = round(r, 9)
    else:
        attrs.pop(ROTATION, None)
    return Box(label, cx - w / 2, cy - h / 2, w, h, attrs)
