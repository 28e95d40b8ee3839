"""Label Studio JSON export: a list of tasks (``result.json`` or any one ``*.json``) + ``images/``.

Each task's ``data.image`` names the image (``/data/upload/3/a.jpg``: the base name is looked up in
``images/`` and beside the JSON). Results of the first annotation (else the first prediction):
``rectanglelabels`` (boxes; ``rotation`` in degrees about the top-left corner), ``polygonlabels``,
``keypointlabels`` and ``choices`` (image tags). Coordinates are percentages of
``original_width``/``original_height``. Per-region ``textarea``/``choices``/``number`` results
(the same ``id`` as a region) are the region's attributes. The split, when there is one, is kept
in ``data.split``. The JSON array is streamed one task at a time.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._ids import make_id
from synapse_sdk.utils.converters._jsonio import dumps
from synapse_sdk.utils.converters._layout import list_images, place_image, safe_name
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import Annotation, Box, Item, Keypoints, Point, Polygon, Tag
from synapse_sdk.utils.converters._naming import attr_text, attr_value
from synapse_sdk.utils.converters._numbers import all_numbers, is_number
from synapse_sdk.utils.converters._rotation import ROTATION, rotation_of
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError

RESULT = 'result.json'
_REGIONS = {'rectanglelabels': 'rectanglelabels', 'polygonlabels': 'polygonlabels', 'keypointlabels': 'keypointlabels'}
_ATTRIBUTE_TYPES = ('textarea', 'choices', 'number', 'rating')


def _float(value: Any, what: str, path: Path, where: str) -> float:
    if not is_number(value):
        raise DatasetFormatError(f'{what} must be a finite number', file=path, key=where)
    return float(value)


def _label(value: dict[str, Any], kind: str, path: Path, where: str) -> str:
    labels = value.get(kind)
    if not (isinstance(labels, list) and labels and all(isinstance(v, str) for v in labels)):
        raise DatasetFormatError(f'"{kind}" must be a list of label names', file=path, key=where)
    return str(labels[0])


def parse_task(task: Any, path: Path, index: int, image: Path | None, report_changed: Any) -> Item:
    """One Label Studio task as an :class:`Item` (its image is found by the caller)."""
    where = f'[{index}]'
    if not isinstance(task, dict) or not isinstance(task.get('data'), dict):
        raise DatasetFormatError('a task is an object with "data"', file=path, key=where)
    data = task['data']
    ref = next((v for k, v in data.items() if k in ('image', 'img', 'url') and isinstance(v, str)), None)
    if ref is None:
        raise DatasetFormatError('task data has no "image"', file=path, key=where)
    file_name = safe_name(ref.split('?', 1)[0].rsplit('/', 1)[-1] or ref, file=path)
    stem = file_name.rpartition('.')[0] or file_name
    split = data.get('split') if isinstance(data.get('split'), str) else ''
    item = Item(stem, split, image, source=f'{path}{where}', image_name=None if image else file_name)
    runs = task.get('annotations') or task.get('predictions') or []
    if not isinstance(runs, list):
        raise DatasetFormatError('"annotations" must be a list', file=path, key=where)
    run = next((r for r in runs if isinstance(r, dict) and not r.get('was_cancelled')), None)
    results = (run or {}).get('result') or []
    if not isinstance(results, list):
        raise DatasetFormatError('"result" must be a list', file=path, key=where)
    regions: dict[str, Box | Polygon | Point] = {}
    attributes: list[tuple[str, str, Any]] = []
    for number, result in enumerate(results):
        at = f'{where}.result[{number}]'
        if not isinstance(result, dict) or not isinstance(result.get('value'), dict):
            raise DatasetFormatError('a result is an object with "value"', file=path, key=at)
        kind, value = result.get('type'), result['value']
        width, height = result.get('original_width'), result.get('original_height')
        if type(width) is int and type(height) is int and width > 0 and height > 0:
            item.width, item.height = width, height
        rid = result.get('id') if isinstance(result.get('id'), str) else None
        if kind in _REGIONS:
            if not (item.width and item.height):
                raise DatasetFormatError('a region needs original_width and original_height', file=path, key=at)
            ann = _region(str(kind), value, item.width, item.height, path, at)
            ann.id = rid
            regions[rid or at] = ann
            item.annotations.append(ann)
        elif kind in _ATTRIBUTE_TYPES and rid in regions:
            attributes.append((rid, str(result.get('from_name') or kind), _attribute(value)))
        elif kind == 'choices':
            choices = value.get('choices')
            if not (isinstance(choices, list) and all(isinstance(c, str) for c in choices)):
                raise DatasetFormatError('"choices" must be a list of names', file=path, key=at)
            item.annotations.extend(Tag(c) for c in choices)
        else:
            report_changed(f'result type {kind!r} is not converted', item=stem, file=str(path), annotation=at)
    for rid, name, value in attributes:
        region = regions[rid]
        region.attrs[name] = value
    return item


def _attribute(value: dict[str, Any]) -> Any:
    for key in ('text', 'choices', 'number', 'rating'):
        if key in value:
            found = value[key]
            if isinstance(found, list) and len(found) == 1:
                found = found[0]
            return attr_value(found) if isinstance(found, str) and key == 'text' else found
    return value


def _region(kind: str, value: dict[str, Any], width: int, height: int, path: Path, where: str) -> Box | Polygon | Point:
    sx, sy = width / 100.0, height / 100.0
    label = _label(value, kind, path, where)
    if kind == 'rectanglelabels':
        x, y = _float(value.get('x'), 'x', path, where) * sx, _float(value.get('y'), 'y', path, where) * sy
        w = _float(value.get('width'), 'width', path, where) * sx
        h = _float(value.get('height'), 'height', path, where) * sy
        degrees = value.get('rotation', 0)
        degrees = _float(degrees, 'rotation', path, where) if degrees is not None else 0.0
        attrs: dict[str, Any] = {}
        if degrees:  # Label Studio turns about the top-left corner; DM about the centre
            r = math.radians(math.remainder(degrees, 360.0))
            cos, sin = math.cos(r), math.sin(r)
            cx, cy = x + w / 2 * cos - h / 2 * sin, y + w / 2 * sin + h / 2 * cos
            x, y = cx - w / 2, cy - h / 2
            attrs[ROTATION] = round(r, 9)
        return Box(label, x, y, w, h, attrs)
    if kind == 'polygonlabels':
        points = value.get('points')
        if not (
            isinstance(points, list) and all(isinstance(p, list) and len(p) == 2 and all_numbers(p) for p in points)
        ):
            raise DatasetFormatError('"points" must be a list of [x, y] percentages', file=path, key=where)
        return Polygon(label, [(float(px) * sx, float(py) * sy) for px, py in points])
    x, y = _float(value.get('x'), 'x', path, where) * sx, _float(value.get('y'), 'y', path, where) * sy
    return Point(label, x, y)


class LabelStudioReader(Reader):
    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        if root.is_file():
            self.path, self.base = root, root.parent
        elif not root.is_dir():
            raise DatasetLayoutError('dataset folder does not exist', file=root)
        else:
            self.base = root
            if (root / RESULT).is_file():
                self.path = root / RESULT
            else:
                found = sorted(n for n in os.listdir(root) if n.endswith('.json'))
                if len(found) != 1:
                    raise DatasetLayoutError(
                        f'expected {RESULT} (or exactly one *.json export) in the dataset folder; found {len(found)}',
                        file=root,
                    )
                self.path = root / found[0]

    def count(self) -> int | None:
        return None

    def _images(self) -> dict[str, Path]:
        found: dict[str, Path] = {}
        for folder in (self.base / 'images', self.base):
            if folder.is_dir():
                for name in list_images(folder).values():
                    found.setdefault(name, folder / name)
                for entry in os.scandir(folder) if folder.name == 'images' else ():
                    if entry.is_dir():  # images/<split>/
                        for name in list_images(Path(entry.path)).values():
                            found.setdefault(f'{entry.name}/{name}', Path(entry.path) / name)
        return found

    def items(self) -> Iterator[Item]:
        images = self._images()
        try:
            with open(self.path, 'rb') as handle:
                for index, task in enumerate(ijson.items(handle, 'item', use_float=True)):
                    try:
                        item = parse_task(task, self.path, index, None, self.report.changed)
                        name = item.image_name or ''
                        item.image = images.get(f'{item.split}/{name}') or images.get(name)
                        if item.image is not None:
                            item.image_name = None
                        yield item
                    except ConverterError as error:
                        self.problem(error, item=f'task[{index}]')
        except ijson.JSONError as error:
            raise DatasetFormatError(f'invalid JSON: {error}', file=self.path) from None
        except OSError as error:
            raise DatasetFormatError(f'cannot read file ({error.strerror})', file=self.path) from None


class LabelStudioWriter(Writer):
    holds = frozenset({'bbox', 'rotated_bbox', 'polygon', 'point', 'tag', 'attributes'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.image_dir = out / 'images'
        self.image_dir.mkdir(parents=True, exist_ok=True)
        self._file: IO[bytes] = open(out / RESULT, 'wb')
        self._file.write(b'[')
        self._count = 0
        self.losses = Losses('Label Studio')

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        file_name = item.output_file_name
        relative = f'{item.split}/{file_name}' if item.split else file_name
        results: list[dict[str, Any]] = []
        for index, ann in enumerate(item.annotations):
            self._result(ann, item, make_id(item.name, index + 1), results)
        self._count += 1
        data: dict[str, Any] = {'image': f'/data/local-files/?d=images/{relative}'}
        if item.split:
            data['split'] = item.split
        task = {
            'id': self._count,
            'data': data,
            'annotations': [{'id': self._count, 'result': results, 'was_cancelled': False}],
            'predictions': [],
        }
        self._file.write((b',\n' if self._count > 1 else b'\n') + dumps(task))
        if item.image is not None and self.images != 'none':
            target = self.image_dir / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            place_image(item.image, target, self.images)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _base(self, rid: str, kind: str, item: Item, value: dict[str, Any], name: str = 'label') -> dict[str, Any]:
        return {
            'id': rid,
            'type': kind,
            'from_name': name,
            'to_name': 'image',
            'original_width': item.width,
            'original_height': item.height,
            'image_rotation': 0,
            'value': value,
        }

    def _result(self, ann: Annotation, item: Item, rid: str, results: list[dict[str, Any]]) -> None:
        assert item.width and item.height
        sx, sy = 100.0 / item.width, 100.0 / item.height
        split = item.split
        attrs: dict[str, Any] = {}
        if isinstance(ann, Box):
            w, h = ann.w, ann.h
            r = rotation_of(ann)
            x, y = ann.x, ann.y
            value: dict[str, Any] = {}
            if r:
                cx, cy = ann.x + w / 2, ann.y + h / 2
                cos, sin = math.cos(r), math.sin(r)
                x, y = cx - (w / 2 * cos - h / 2 * sin), cy - (w / 2 * sin + h / 2 * cos)
            value = {'x': x * sx, 'y': y * sy, 'width': w * sx, 'height': h * sy, 'rotation': math.degrees(r) % 360.0}
            value['rectanglelabels'] = [ann.label]
            results.append(self._base(rid, 'rectanglelabels', item, value))
            attrs = {k: v for k, v in ann.attrs.items() if k != ROTATION}
            self.counted(split, 'bbox')
        elif isinstance(ann, Polygon):
            value = {'points': [[x * sx, y * sy] for x, y in ann.points], 'closed': True, 'polygonlabels': [ann.label]}
            results.append(self._base(rid, 'polygonlabels', item, value))
            attrs = ann.attrs
            self.counted(split, 'polygon')
        elif isinstance(ann, Point):
            value = {'x': ann.x * sx, 'y': ann.y * sy, 'width': 0.5, 'keypointlabels': [ann.label]}
            results.append(self._base(rid, 'keypointlabels', item, value))
            attrs = ann.attrs
            self.counted(split, 'point')
        elif isinstance(ann, Tag):
            results.append(self._base(rid, 'choices', item, {'choices': [ann.label]}, 'choice'))
            if ann.attrs:
                self.losses.add('attributes of image tags')
            self.counted(split, 'tag')
        elif isinstance(ann, Keypoints):
            self.report.changed(
                'Label Studio has no keypoint objects: written as a box and separate keypoints',
                item=item.name,
                file=item.source or None,
                annotation=ann.id,
            )
            if ann.box is not None:
                self._result(Box(ann.label, *ann.box, attrs=dict(ann.attrs)), item, rid, results)
            for n, p in enumerate(ann.points):
                self._result(Point(p.name, p.x, p.y, dict(p.attrs)), item, f'{rid}-{n}', results)
            return
        else:
            self.losses.cannot_hold(ann)
            return
        self.classes.id(ann.label)
        for name, attr in attrs.items():
            results.append(self._base(rid, 'textarea', item, {'text': [attr_text(attr)]}, str(name)))

    def close(self) -> None:
        self._file.write(b'\n]\n')
        self._file.close()
