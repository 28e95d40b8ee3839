"""LabelMe JSON: one ``<stem>.json`` beside each image (per split folder when categorized).

Shapes: ``rectangle`` (a box), ``polygon``, ``linestrip`` and ``line`` (polylines), ``point``,
``circle`` (kept as a DM ``circle`` annotation ``[cx, cy, r]``, which only DM and LabelMe hold).
A shape's ``flags`` (booleans), ``group_id`` and ``description`` become DM attributes; other
attributes go in the shape's ``attributes`` key, which LabelMe keeps as extra data. The file's
``flags`` set to true are image tags. Keypoint objects are written as their box and points.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._jsonio import DecodeError, dumps, loads
from synapse_sdk.utils.converters._layout import find_split_dirs, list_images, place_image
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import Annotation, Box, Item, Keypoints, Other, Point, Polygon, Polyline, Tag
from synapse_sdk.utils.converters._numbers import all_numbers, tidy
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, UnsafePathError

VERSION = '5.5.0'
CIRCLE = 'circle'
_SHAPE_KEYS = ('label', 'points', 'group_id', 'description', 'shape_type', 'flags', 'mask', 'attributes')


def _points(raw: Any, path: Path, where: str) -> list[tuple[float, float]]:
    if not isinstance(raw, list) or not all(isinstance(p, list) and len(p) == 2 and all_numbers(p) for p in raw):
        raise DatasetFormatError('"points" must be a list of [x, y] numbers', file=path, key=where)
    return [(float(x), float(y)) for x, y in raw]


def _shape_attrs(shape: dict[str, Any]) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    extra = shape.get('attributes')
    if isinstance(extra, dict):
        attrs.update(extra)
    flags = shape.get('flags')
    if isinstance(flags, dict):
        attrs.update({str(k): v for k, v in flags.items() if isinstance(v, bool)})
    if shape.get('group_id') is not None:
        attrs['group_id'] = shape['group_id']
    if shape.get('description'):
        attrs['description'] = shape['description']
    for key, value in shape.items():  # extra keys other tools add: kept
        if key not in _SHAPE_KEYS:
            attrs.setdefault(key, value)
    return attrs


def parse_labelme(doc: Any, path: Path, item: Item) -> list[Annotation]:
    """The annotations of one LabelMe document; :class:`DatasetFormatError` names the shape."""
    if not isinstance(doc, dict) or not isinstance(doc.get('shapes', []), list):
        raise DatasetFormatError('a LabelMe file is an object with a "shapes" list', file=path)
    out: list[Annotation] = []
    for index, shape in enumerate(doc.get('shapes') or []):
        where = f'shapes[{index}]'
        if not isinstance(shape, dict):
            raise DatasetFormatError('a shape must be an object', file=path, key=where)
        label = shape.get('label')
        if not isinstance(label, str):
            raise DatasetFormatError('shape "label" must be a string', file=path, key=where)
        kind = shape.get('shape_type') or 'polygon'
        points = _points(shape.get('points'), path, where)
        attrs = _shape_attrs(shape)
        if kind == 'rectangle':
            if len(points) != 2:
                raise DatasetFormatError('a rectangle has two points', file=path, key=where)
            (x0, y0), (x1, y1) = points
            out.append(Box(label, min(x0, x1), min(y0, y1), abs(x1 - x0), abs(y1 - y0), attrs))
        elif kind == 'polygon':
            out.append(Polygon(label, points, attrs))
        elif kind in ('linestrip', 'line'):
            out.append(Polyline(label, points, attrs))
        elif kind == 'point':
            if len(points) != 1:
                raise DatasetFormatError('a point has one point', file=path, key=where)
            out.append(Point(label, points[0][0], points[0][1], attrs))
        elif kind == CIRCLE:
            if len(points) != 2:
                raise DatasetFormatError('a circle has two points (centre, edge)', file=path, key=where)
            (cx, cy), (ex, ey) = points
            raw = {'classification': label, 'attrs': [{'name': k, 'value': v} for k, v in attrs.items()]}
            out.append(Other(CIRCLE, {**raw, 'data': [cx, cy, math.hypot(ex - cx, ey - cy)]}))
        else:
            raise DatasetFormatError(f'shape_type {kind!r} is not converted', file=path, key=where)
    flags = doc.get('flags')
    if isinstance(flags, dict):
        out.extend(Tag(str(name)) for name, on in flags.items() if on is True)
    return out


class LabelMeReader(Reader):
    def _folders(self) -> list[tuple[str, Path]]:
        return find_split_dirs(self.root, is_categorized=self.is_categorized)

    def count(self) -> int:
        return sum(sum(1 for n in os.listdir(f) if n.endswith('.json')) for _, f in self._folders())

    def items(self) -> Iterator[Item]:
        root = self.root.resolve()
        for split, folder in self._folders():
            images = list_images(folder)
            for file_name in sorted(n for n in os.listdir(folder) if n.endswith('.json')):
                path = folder / file_name
                stem = file_name[:-5]
                try:
                    yield self._item(path, stem, split, images, root)
                except ConverterError as error:
                    self.problem(error, item=stem)

    def _item(self, path: Path, stem: str, split: str, images: dict[str, str], root: Path) -> Item:
        try:
            doc = loads(path.read_bytes())
        except DecodeError as error:
            raise DatasetFormatError(f'invalid JSON: {error}', file=path) from None
        except OSError as error:
            raise DatasetFormatError(f'cannot read file ({error.strerror})', file=path) from None
        if not isinstance(doc, dict):
            raise DatasetFormatError('a LabelMe file is a JSON object', file=path)
        image: Path | None = None
        image_path = doc.get('imagePath')
        if isinstance(image_path, str) and image_path:
            candidate = (path.parent / image_path.replace('\\', '/')).resolve()
            if not candidate.is_relative_to(root):
                raise UnsafePathError(f'imagePath {image_path!r} leaves the dataset folder', file=path)
            image = candidate if candidate.is_file() else None
        if image is None and stem in images:
            image = path.parent / images[stem]
        width, height = doc.get('imageWidth'), doc.get('imageHeight')
        item = Item(
            stem,
            split,
            image,
            width if type(width) is int and width > 0 else None,
            height if type(height) is int and height > 0 else None,
            source=str(path),
        )
        if image is None and isinstance(image_path, str) and image_path:
            item.image_name = image_path.replace('\\', '/').rsplit('/', 1)[-1]
        item.annotations = parse_labelme(doc, path, item)
        return item


def _shape(label: str, kind: str, points: list[tuple[float, float]], attrs: dict[str, Any]) -> dict[str, Any]:
    attrs = dict(attrs)
    flags = {k: attrs.pop(k) for k in list(attrs) if isinstance(attrs[k], bool)}
    group = attrs.get('group_id')
    group_id = attrs.pop('group_id') if type(group) is int else None  # LabelMe refuses other group ids
    shape: dict[str, Any] = {
        'label': label,
        'points': [[tidy(x, 6), tidy(y, 6)] for x, y in points],
        'group_id': group_id,
        'description': str(attrs.pop('description', '')),
        'shape_type': kind,
        'flags': flags,
        'mask': None,
    }
    if attrs:
        shape['attributes'] = attrs
    return shape


class LabelMeWriter(Writer):
    holds = frozenset({'bbox', 'polygon', 'polyline', 'point', 'tag', 'attributes', 'splits'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.losses = Losses('LabelMe')
        self._made: set[str] = set()

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        folder = self.out / item.split if item.split else self.out
        if item.split not in self._made:
            folder.mkdir(parents=True, exist_ok=True)
            self._made.add(item.split)
        file_name = item.output_file_name
        shapes: list[dict[str, Any]] = []
        flags: dict[str, bool] = {}
        split = item.split
        for ann in item.annotations:
            if isinstance(ann, Box):
                if 'rotation' in ann.attrs:
                    self.losses.add('box rotation (written as the unrotated box)')
                attrs = {k: v for k, v in ann.attrs.items() if k != 'rotation'}
                shapes.append(_shape(ann.label, 'rectangle', [(ann.x, ann.y), (ann.x + ann.w, ann.y + ann.h)], attrs))
                self.counted(split, 'bbox')
            elif isinstance(ann, Polygon):
                shapes.append(_shape(ann.label, 'polygon', ann.points, ann.attrs))
                self.counted(split, 'polygon')
            elif isinstance(ann, Polyline):
                kind = 'line' if len(ann.points) == 2 else 'linestrip'
                shapes.append(_shape(ann.label, kind, ann.points, ann.attrs))
                self.counted(split, 'polyline')
            elif isinstance(ann, Point):
                shapes.append(_shape(ann.label, 'point', [(ann.x, ann.y)], ann.attrs))
                self.counted(split, 'point')
            elif isinstance(ann, Tag):
                flags[ann.label] = True
                if ann.attrs:
                    self.losses.add('attributes of image tags')
                self.counted(split, 'tag')
            elif isinstance(ann, Keypoints):
                self._keypoints(ann, item, shapes)
            elif isinstance(ann, Other) and ann.tool == CIRCLE and self._circle(ann, shapes):
                self.counted(split, CIRCLE)
            else:
                self.losses.cannot_hold(ann)
                continue
            if not isinstance(ann, (Tag, Other)):
                self.classes.id(ann.label)
        doc = {
            'version': VERSION,
            'flags': flags,
            'shapes': shapes,
            'imagePath': file_name,
            'imageData': None,
            'imageHeight': item.height,
            'imageWidth': item.width,
        }
        (folder / f'{item.name}.json').write_bytes(dumps(doc, indent=True))
        if item.image is not None and self.images != 'none':
            place_image(item.image, folder / file_name, self.images)
        self.summary.images[split or 'all'] = self.summary.images.get(split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _keypoints(self, ann: Keypoints, item: Item, shapes: list[dict[str, Any]]) -> None:
        self.report.changed(
            'LabelMe has no keypoint objects: written as a box and points sharing a group_id',
            item=item.name,
            file=item.source or None,
            annotation=ann.id,
        )
        group = len(shapes) + 1
        if ann.box is not None:
            x, y, w, h = ann.box
            shapes.append(_shape(ann.label, 'rectangle', [(x, y), (x + w, y + h)], {**ann.attrs, 'group_id': group}))
        for p in ann.points:
            shapes.append(_shape(p.name, 'point', [(p.x, p.y)], {**p.attrs, 'group_id': group, 'visibility': p.v}))
        self.counted(item.split, 'keypoints')

    def _circle(self, ann: Other, shapes: list[dict[str, Any]]) -> bool:
        data = ann.raw.get('data')
        label = ann.raw.get('classification')
        if not (isinstance(data, list) and len(data) == 3 and all_numbers(data) and isinstance(label, str)):
            return False
        cx, cy, r = (float(v) for v in data)
        attrs = {a['name']: a.get('value') for a in ann.raw.get('attrs') or [] if isinstance(a, dict) and 'name' in a}
        shapes.append(_shape(label, CIRCLE, [(cx, cy), (cx + r, cy)], attrs))
        self.classes.id(label)
        return True
