"""Small numeric helpers shared by readers and writers."""

from __future__ import annotations

import math
from typing import Any


def is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


EXACT_INT = 2**53


def tidy(value: float, digits: int = 4) -> float | int:
    """Round away float noise (``79.01184000000001`` -> ``79.0118``); whole numbers become ints."""
    rounded = round(value, digits)
    if not -EXACT_INT < rounded < EXACT_INT:  # beyond what a float holds exactly (and JSON's int64)
        return rounded
    as_int = int(rounded)
    return as_int if rounded == as_int else rounded


def polygon_area(points: list[tuple[float, float]]) -> float:
    total = 0.0
    count = len(points)
    for i in range(count):
        x1, y1 = points[i]
        x2, y2 = points[(i + 1) % count]
        total += x1 * y2 - x2 * y1
    return abs(total) / 2.0


def bounds(points: list[tuple[float, float]]) -> tuple[float, float, float, float]:
    """``(x, y, w, h)`` of the points' bounding box."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x0, y0 = min(xs), min(ys)
    return x0, y0, max(xs) - x0, max(ys) - y0


def all_numbers(values: list[Any]) -> bool:
    """``all(is_number(v) for v in values)``, several times faster on plain ints and floats."""
    for value in values:
        kind = type(value)
        if kind is float:
            if value - value != 0:  # NaN or infinity
                return False
        elif kind is not int and not is_number(value):
            return False
    return True
