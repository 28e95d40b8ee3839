"""YOLO OBB (Ultralytics ``task='obb'``): the YOLO layout with ``cls x1 y1 x2 y2 x3 y3 x4 y4`` rows.

The four corners are normalised to the image size, in Ultralytics' ``xywhr2xyxyxyxy`` order; DM
keeps a rotated box as ``bounding_box`` ``[x, y, w, h]`` with a ``rotation`` attribute (radians,
clockwise about the centre). A corner list that is not a rectangle (a DOTA quad) becomes the
nearest rotated box and is reported as changed. Only boxes fit the format; the rest is reported.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import Annotation, Box, Item
from synapse_sdk.utils.converters._rotation import box_corners, from_corners, rotated_box
from synapse_sdk.utils.converters._yolo import YOLOReader, YOLOWriter
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError


class YOLOOBBReader(YOLOReader):
    def parse(self, text: str, file: Path, width: int, height: int) -> list[Annotation]:
        out: list[Annotation] = []
        names = self.names or []
        for line, row in enumerate(text.splitlines(), 1):
            parts = row.split()
            if not parts:
                continue
            try:
                out.append(self._obb(parts, names, file, line, width, height))
            except ConverterError as error:
                self.problem(error, item=file.stem)
        return out

    def _obb(self, parts: list[str], names: list[str], file: Path, line: int, width: int, height: int) -> Box:
        if len(parts) != 9:
            raise DatasetFormatError(
                f'OBB label line has {len(parts) - 1} values; expected 8 (x1 y1 ... x4 y4)', file=file, line=line
            )
        try:
            cls_value, *values = (float(v) for v in parts)
        except ValueError:
            raise DatasetFormatError('label line has a value that is not a number', file=file, line=line) from None
        if not all(math.isfinite(v) for v in values):
            raise DatasetFormatError('label line has a value that is not finite', file=file, line=line)
        if not cls_value.is_integer() or cls_value < 0:
            raise DatasetFormatError(f'class index {parts[0]!r} is not a non-negative integer', file=file, line=line)
        cls = int(cls_value)
        label = names[cls] if cls < len(names) else f'class_{cls}'
        if cls >= len(names):
            self.report.changed(f'unknown class index {cls}; named {label!r}', file=str(file), line=line)
        points = [(values[i] * width, values[i + 1] * height) for i in range(0, 8, 2)]
        cx, cy, w, h, r, rectangle = from_corners(points)
        if not rectangle:
            self.report.changed(
                'corners are not a rectangle; kept as the nearest rotated box', file=str(file), line=line
            )
        return rotated_box(label, cx, cy, w, h, r, {})


class YOLOOBBWriter(YOLOWriter):
    holds = frozenset({'bbox', 'rotated_bbox', 'splits'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.losses = Losses('YOLO OBB')

    def _rows(self, item: Item, width: int, height: int) -> list[str]:
        rows: list[str] = []
        for ann in item.annotations:
            if not isinstance(ann, Box):
                self.losses.cannot_hold(ann)
                continue
            if ann.w <= 0 or ann.h <= 0:
                self.box_outside(ann, item)
                continue
            if any(k != 'rotation' for k in ann.attrs):
                self.losses.add('annotation attributes')
            coords = ' '.join(f'{x / width:.6f} {y / height:.6f}' for x, y in box_corners(ann))
            rows.append(f'{self.classes.id(ann.label)} {coords}')
            self.counted(item.split, 'bbox')
        return rows
