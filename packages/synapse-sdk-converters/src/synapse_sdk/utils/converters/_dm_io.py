"""DM datasets: ``json/<stem>.json`` + ``original_files/<stem>.<ext>``, per split when categorized."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._detect import dm_folders
from synapse_sdk.utils.converters._dm_schema import MEDIA_TYPES, convert_v1_to_v2, convert_v2_to_v1, is_v1, is_v2
from synapse_sdk.utils.converters._ids import make_id
from synapse_sdk.utils.converters._jsonio import DecodeError, dumps, loads
from synapse_sdk.utils.converters._layout import list_images
from synapse_sdk.utils.converters._model import (
    KIND_NAMES,
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Mask,
    MultiPolygon,
    Other,
    Point,
    Polygon,
    Polyline,
    Tag,
)
from synapse_sdk.utils.converters._numbers import all_numbers, is_number, tidy
from synapse_sdk.utils.converters._report import Report
from synapse_sdk.utils.converters.errors import DatasetFormatError

IMAGE_TOOLS = ('bounding_box', 'polygon', 'polyline', 'keypoint', 'segmentation', 'classification')
VISIBILITY = 'visibility'
#: Tools whose ``classification`` lists name object classes.
CLASS_TOOLS = frozenset({'bounding_box', 'polygon', 'polyline', 'segmentation'})


def read_dm_file(path: str | Path, version: str) -> dict[str, Any]:
    """Parse one DM JSON file as ``version`` ('v1' or 'v2') and return it as a v2 document."""
    try:
        with open(path, 'rb', buffering=0) as handle:  # read whole: a buffer would only add a copy
            doc = loads(handle.read())
    except DecodeError as error:
        raise DatasetFormatError(f'invalid JSON: {error}', file=path, line=getattr(error, 'lineno', None)) from None
    except OSError as error:
        raise DatasetFormatError(f'cannot read file: {error.strerror}', file=path) from None
    if version == 'v1':
        if not is_v1(doc):
            hint = ' (it looks like DM v2: use dm_v2)' if is_v2(doc) else ''
            raise DatasetFormatError(f'not a DM v1 document{hint}', file=path)
        v2: dict[str, Any] = convert_v1_to_v2(doc, file=str(path))['annotation_data']
        return v2
    if not is_v2(doc):
        hint = ' (it looks like DM v1: use dm_v1)' if is_v1(doc) else ''
        raise DatasetFormatError(f'not a DM v2 document, no "images" list{hint}', file=path)
    return doc  # type: ignore[no-any-return]


def fill_from_v2(item: Item, doc: dict[str, Any], report: Report) -> Item:
    """Give ``item`` (as listed) a v2 document's first image's annotations and the classes it
    declares; anything else in the document is reported."""
    source = item.source
    images = doc.get('images') or []
    if len(images) > 1:
        report.skipped(f'DM file has {len(images)} images; only images[0] pairs with the original file', file=source)
    if not _IMAGES_ONLY.issuperset(doc):
        for plural in MEDIA_TYPES:
            if plural != 'images' and doc.get(plural):
                report.skipped(f'{plural} are not converted (images only)', file=source)
    image_doc = images[0] if images else {}
    if not isinstance(image_doc, dict):
        raise DatasetFormatError('images[0] must be an object', file=source)
    item.annotations = annotations_from_v2(image_doc, source, report)
    item.categories = declared_classes(doc.get('classification'))
    item.deferred = None
    return item


#: The keys of a document with images and nothing else to report.
_IMAGES_ONLY = frozenset({'images', 'classification'})


def declared_classes(classification: Any) -> tuple[str, ...]:
    """The class names a DM file's ``classification`` lists declare for its shape tools, in order.

    Keypoint lists name keypoints and classification lists name tags, so neither is a class.
    """
    if type(classification) is not dict:
        return ()
    names: dict[str, None] = {}
    for tool, labels in classification.items():
        if tool in CLASS_TOOLS and type(labels) is list:
            for label in labels:
                if type(label) is str:
                    names[label] = None
    return tuple(names)


def annotations_from_v2(image_doc: dict[str, Any], source: str, report: Report) -> list[Annotation]:
    out: list[Annotation] = []
    groups: list[tuple[int, dict[str, Any]]] = []
    for tool, anns in image_doc.items():
        if not isinstance(anns, list):
            _bad(report, f'"{tool}" must be a list', source, f'images[0].{tool}')
            continue
        fast = _FAST.get(tool)
        for index, raw in enumerate(anns):
            ann = fast(raw) if fast is not None else None
            if ann is None:  # not the common well-formed shape: the full checks, with errors naming the place
                where = f'images[0].{tool}[{index}]'
                try:
                    ann = _annotation(tool, raw, source, where)
                except DatasetFormatError as error:
                    if report.strict:
                        raise
                    report.skipped(error.reason, file=source, annotation=where)
                    continue
            if tool == 'group':
                groups.append((len(out), raw))
            out.append(ann)
    if groups:
        points = {a.id: a for a in out if type(a) is Point and a.id}
        polygons = {a.id: a for a in out if type(a) is Polygon and a.id}
        if points or polygons:
            boxes = {a.id: a for a in out if type(a) is Box and a.id}
            out = _groups(out, groups, points, boxes, polygons)
    return out


_NUMBER_TYPES = frozenset({int, float})


def _fast_box(raw: Any) -> Box | None:
    """A well-formed ``bounding_box`` as a :class:`Box`; ``None`` sends it through :func:`_annotation`."""
    if type(raw) is not dict:
        return None
    data = raw.get('data')
    label = raw.get('classification', '')
    if type(data) is not list or len(data) != 4 or type(label) is not str:
        return None
    x, y, w, h = data
    if not (type(x) is float and type(y) is float and type(w) is float and type(h) is float):  # JSON's usual
        if not (
            type(x) in _NUMBER_TYPES
            and type(y) in _NUMBER_TYPES
            and type(w) in _NUMBER_TYPES
            and type(h) in _NUMBER_TYPES
        ):
            return None
        try:
            x, y, w, h = float(x), float(y), float(w), float(h)
        except OverflowError:
            return None
    total = x + y + w + h
    if total - total != 0:  # NaN or infinity somewhere (or a sum too large to tell): check slowly
        return None
    attrs = _fast_attrs(raw.get('attrs'))
    if attrs is None:
        return None
    ann_id = raw.get('id')
    return Box(label, x, y, w, h, attrs, ann_id if type(ann_id) is str else None)


def _fast_points(raw: Any, cls: type[Polygon] | type[Polyline]) -> Polygon | Polyline | None:
    """A well-formed ``polygon``/``polyline`` of ``[x, y]`` pairs; ``None`` sends it through :func:`_annotation`."""
    if type(raw) is not dict:
        return None
    data = raw.get('data')
    label = raw.get('classification', '')
    if type(data) is not list or type(label) is not str:
        return None
    points = []
    total = 0.0
    try:
        for point in data:
            if type(point) is not list or len(point) < 2:
                return None
            px, py = point[0], point[1]
            if type(px) is not float or type(py) is not float:
                if type(px) not in _NUMBER_TYPES or type(py) not in _NUMBER_TYPES:
                    return None
                px, py = float(px), float(py)
            total += px + py
            points.append((px, py))
    except OverflowError:
        return None
    if total - total != 0:
        return None
    attrs = _fast_attrs(raw.get('attrs'))
    if attrs is None:
        return None
    ann_id = raw.get('id')
    return cls(label, points, attrs, ann_id if type(ann_id) is str else None)


def _fast_attrs(attrs: Any) -> dict[str, Any] | None:
    """DM attributes as a dict (``{}`` for ``None`` or ``[]``); ``None`` when not the common shape."""
    if attrs is None or attrs == []:
        return {}
    if type(attrs) is not list:
        return None
    found = {}
    for a in attrs:
        if type(a) is not dict:
            return None
        name = a.get('name')
        if type(name) is not str:
            return None
        found[name] = a.get('value')
    return found


_FAST: dict[str, Callable[[Any], Annotation | None]] = {
    'bounding_box': _fast_box,
    'polygon': lambda raw: _fast_points(raw, Polygon),
    'polyline': lambda raw: _fast_points(raw, Polyline),
}


def _groups(
    out: list[Annotation],
    groups: list[tuple[int, dict[str, Any]]],
    points: dict[str, Point],
    boxes: dict[str, Box],
    polygons: dict[str, Polygon],
) -> list[Annotation]:
    """A DM ``group`` of keypoints (and at most one box) is one keypoint object; a group of only
    polygons (two or more) is one object in several parts."""
    replace: dict[int, Annotation] = {}
    consumed: set[int] = set()
    for position, raw in groups:
        members = [m for m in raw.get('data') or [] if isinstance(m, str)]
        kps = [points[m] for m in members if m in points]
        if not kps:
            parts = [polygons[m] for m in members if m in polygons]
            if len(parts) >= 2 and len(parts) == len(members) and len({p.label for p in parts}) == 1:
                attrs = _attrs_dict(raw.get('attrs'))
                for key, value in parts[0].attrs.items():
                    attrs.setdefault(key, value)
                consumed.update(id(p) for p in parts)
                replace[position] = MultiPolygon(
                    parts[0].label, [p.points for p in parts], attrs, raw.get('id'), [p.id for p in parts]
                )
            continue
        box = next((boxes[m] for m in members if m in boxes), None)
        keypoints = []
        for kp in kps:
            attrs = dict(kp.attrs)
            visibility = attrs.pop(VISIBILITY, 2)
            v = int(visibility) if is_number(visibility) and visibility in (0, 1, 2) else 2
            keypoints.append(Keypoint(kp.label, kp.x, kp.y, v, attrs, kp.id))
            consumed.add(id(kp))
        attrs = _attrs_dict(raw.get('attrs'))
        label = raw.get('classification') or (box.label if box else '')
        if box is not None:
            consumed.add(id(box))
            for key, value in box.attrs.items():
                attrs.setdefault(key, value)
        replace[position] = Keypoints(
            str(label),
            keypoints,
            (box.x, box.y, box.w, box.h) if box else None,
            attrs,
            raw.get('id'),
            box.id if box else None,
        )
    result: list[Annotation] = []
    for index, ann in enumerate(out):
        if index in replace:
            result.append(replace[index])
        elif id(ann) not in consumed:
            result.append(ann)
    return result


def _annotation(tool: str, raw: Any, source: str, where: str) -> Annotation:
    if not isinstance(raw, dict):
        raise DatasetFormatError('annotation must be an object', file=source, key=where)
    label = raw.get('classification', '')
    if not isinstance(label, str):
        raise DatasetFormatError('"classification" must be a string', file=source, key=where)
    ann_id = raw.get('id')
    ann_id = ann_id if isinstance(ann_id, str) else None
    data = raw.get('data')
    if tool == 'bounding_box':
        if isinstance(data, dict):
            data = [data.get('x'), data.get('y'), data.get('width'), data.get('height')]
        if not (isinstance(data, list) and len(data) == 4 and all_numbers(data)):
            raise DatasetFormatError('bounding_box data must be [x, y, width, height]', file=source, key=where)
        return Box(
            label, float(data[0]), float(data[1]), float(data[2]), float(data[3]), _attrs(raw, source, where), ann_id
        )
    if tool in ('polygon', 'polyline'):
        pts = _points(data, source, where)
        cls = Polygon if tool == 'polygon' else Polyline
        return cls(label, pts, _attrs(raw, source, where), ann_id)
    if tool == 'keypoint':
        if isinstance(data, list) and len(data) == 1 and isinstance(data[0], list):
            data = data[0]
        if not (isinstance(data, list) and len(data) in (2, 3) and all_numbers(data)):
            raise DatasetFormatError('keypoint data must be [x, y]', file=source, key=where)
        return Point(label, float(data[0]), float(data[1]), _attrs(raw, source, where), ann_id)
    if tool == 'segmentation':
        if not (
            isinstance(data, list) and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in data)
        ):
            raise DatasetFormatError('segmentation data must be a list of pixel indices', file=source, key=where)
        return Mask(label, data, _attrs(raw, source, where), ann_id)
    if tool == 'classification':
        return Tag(label, _attrs(raw, source, where), ann_id)
    return Other(tool, raw)


def _points(data: Any, source: str, where: str) -> list[tuple[float, float]]:
    if not isinstance(data, list):
        raise DatasetFormatError('points must be a list of [x, y]', file=source, key=where)
    out = []
    for point in data:
        if isinstance(point, dict):
            point = [point.get('x'), point.get('y')]
        if not (type(point) is list and len(point) >= 2 and all_numbers(point[:2])) and not (
            isinstance(point, list) and len(point) >= 2 and is_number(point[0]) and is_number(point[1])
        ):
            raise DatasetFormatError('points must be a list of [x, y]', file=source, key=where)
        out.append((float(point[0]), float(point[1])))
    return out


def _attrs(raw: dict[str, Any], source: str, where: str) -> dict[str, Any]:
    attrs = raw.get('attrs')
    if not attrs and (attrs is None or attrs == []):
        return {}
    if not isinstance(attrs, list) or not all(isinstance(a, dict) and isinstance(a.get('name'), str) for a in attrs):
        raise DatasetFormatError('"attrs" must be a list of {name, value}', file=source, key=where)
    return {a['name']: a.get('value') for a in attrs}


def _attrs_dict(attrs: Any) -> dict[str, Any]:
    if not isinstance(attrs, list):
        return {}
    return {a['name']: a.get('value') for a in attrs if isinstance(a, dict) and isinstance(a.get('name'), str)}


def _bad(report: Report, reason: str, source: str, where: str) -> None:
    if report.strict:
        raise DatasetFormatError(reason, file=source, key=where)
    report.skipped(reason, file=source, annotation=where)


def item_to_v2(item: Item, classes: Sequence[str] = ()) -> dict[str, Any]:
    """The DM v2 document of one item (its image is ``images[0]``).

    ``classes`` (the source's class list) heads the ``classification`` list of every shape tool the
    item uses, so the dataset's class order, unused classes included, survives a trip through DM.
    """
    tools: dict[str, list[dict[str, Any]]] = {tool: [] for tool in IMAGE_TOOLS}
    counter = 0

    def new_id(existing: str | None) -> str:
        nonlocal counter
        counter += 1
        return existing or make_id(item.name, counter)

    for ann in item.annotations:
        if isinstance(ann, Box):
            data: Any = [tidy(ann.x), tidy(ann.y), tidy(ann.w), tidy(ann.h)]
            _add(tools, 'bounding_box', new_id(ann.id), ann.label, ann.attrs, data)
        elif isinstance(ann, (Polygon, Polyline)):
            tool = 'polygon' if isinstance(ann, Polygon) else 'polyline'
            _add(tools, tool, new_id(ann.id), ann.label, ann.attrs, [[tidy(x), tidy(y)] for x, y in ann.points])
        elif isinstance(ann, Point):
            _add(tools, 'keypoint', new_id(ann.id), ann.label, ann.attrs, [tidy(ann.x), tidy(ann.y)])
        elif isinstance(ann, Keypoints):
            members = []
            if ann.box is not None:
                box_id = new_id(ann.box_id)
                _add(tools, 'bounding_box', box_id, ann.label, {}, [tidy(v) for v in ann.box])
                members.append(box_id)
            for kp in ann.points:
                kp_id = new_id(kp.id)
                attrs = dict(kp.attrs)
                if kp.v != 2:
                    attrs[VISIBILITY] = kp.v
                _add(tools, 'keypoint', kp_id, kp.name, attrs, [tidy(kp.x), tidy(kp.y)])
                members.append(kp_id)
            _add(tools, 'group', new_id(ann.id), ann.label, ann.attrs, members)
        elif isinstance(ann, MultiPolygon):
            members = []
            for index, part in enumerate(ann.parts):
                part_id = new_id(ann.part_ids[index] if index < len(ann.part_ids) else None)
                _add(tools, 'polygon', part_id, ann.label, ann.attrs, [[tidy(x), tidy(y)] for x, y in part])
                members.append(part_id)
            _add(tools, 'group', new_id(ann.id), ann.label, {}, members)
        elif isinstance(ann, Mask):
            _add(tools, 'segmentation', new_id(ann.id), ann.label, ann.attrs, list(ann.pixels))
        elif isinstance(ann, Tag):
            _add(tools, 'classification', new_id(ann.id), ann.label, ann.attrs, {})
        elif isinstance(ann, Other):
            tools.setdefault(ann.tool, []).append(ann.raw)
    classification: dict[str, list[str]] = {}
    for tool, anns in tools.items():
        labels = dict.fromkeys(a.get('classification') for a in anns if isinstance(a.get('classification'), str))
        if labels and classes and tool in CLASS_TOOLS:
            labels = {**dict.fromkeys(classes), **labels}
        if labels:
            classification[tool] = list(labels)  # type: ignore[arg-type]
    return {'classification': classification, 'images': [tools]}


def _add(
    tools: dict[str, list[dict[str, Any]]], tool: str, ann_id: str, label: str, attrs: dict[str, Any], data: Any
) -> None:
    tools.setdefault(tool, []).append(
        {
            'id': ann_id,
            'classification': label,
            'attrs': [{'name': k, 'value': v} for k, v in attrs.items()],
            'data': data,
        }
    )


class DMReader(Reader):
    """Reads DM v1 or v2 (``dm_version``) datasets."""

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self.version = str(self.options.get('dm_version') or 'v2')

    def _folders(self) -> list[tuple[str, Path, Path]]:
        folders = dm_folders(self.root, is_categorized=self.is_categorized, images_dir=self.options.get('images_dir'))
        return [(split, json_dir, files_dir) for split, json_dir, files_dir, _ in folders]

    def count(self) -> int:
        return sum(sum(1 for n in os.listdir(j) if n.endswith('.json')) for _, j, _ in self._folders())

    def items(self) -> Iterator[Item]:
        for split, json_dir, files_dir in self._folders():
            images = list_images(files_dir)
            json_folder = str(json_dir)
            for file_name in sorted(n for n in os.listdir(json_dir) if n.endswith('.json')):
                stem = file_name[:-5]
                image_name = images.get(stem)
                image = files_dir / image_name if image_name else None
                listed = Item(stem, split, image, source=os.path.join(json_folder, file_name))
                if image is None:
                    listed.looked_in = (str(files_dir / f'{stem}.*'),)
                if self.defer:
                    listed.deferred = listed.source
                    yield listed
                    continue
                item = self._load(listed)
                if item is not None:
                    yield item

    def complete(self, item: Item) -> Item | None:
        return self._load(item)

    def _load(self, listed: Item) -> Item | None:
        try:
            return fill_from_v2(listed, read_dm_file(listed.source, self.version), self.report)
        except DatasetFormatError as error:
            if 'use dm_v' in error.reason:
                raise
            self.problem(error, item=listed.name)
            return None


class DMWriter(Writer):
    """Writes DM v1 or v2 (``dm_version``) JSON files and places each image beside them."""

    holds = frozenset(
        {'bbox', 'rotated_bbox', 'polygon', 'polyline', 'keypoints', 'point', 'mask', 'tag', 'attributes', 'splits'}
    )
    per_image = True

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.version = str(self.options.get('dm_version') or 'v2')
        self._made: set[str] = set()
        self._declared = tuple(self.classes.names)  # fixed at the start: a file's lists never depend on order

    def write(self, item: Item) -> None:
        if item.image is None:
            self.report.skipped('image file is missing', item=item.name, file=item.source or None)
            return
        base = self.out / item.split if item.split else self.out
        json_dir, files_dir = base / 'json', base / 'original_files'
        if item.split not in self._made:
            json_dir.mkdir(parents=True, exist_ok=True)
            files_dir.mkdir(parents=True, exist_ok=True)
            self._made.add(item.split)
        doc = item_to_v2(item, self._declared)
        if self.version == 'v1':
            doc = convert_v2_to_v1(doc)
        self.put(json_dir / f'{item.name}.json', dumps(doc, indent=True))
        self.put_image(item, files_dir)
        for ann in item.annotations:
            self.counted(item.split, KIND_NAMES[type(ann)])
            if not isinstance(ann, (Other, Tag)):
                self.classes.id(ann.label)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1


class DMV1Reader(DMReader):
    dm_version = 'v1'

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **{**kwargs, 'dm_version': 'v1'})


class DMV2Reader(DMReader):
    dm_version = 'v2'

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **{**kwargs, 'dm_version': 'v2'})


class DMV1Writer(DMWriter):
    dm_version = 'v1'

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **{**kwargs, 'dm_version': 'v1'})


class DMV2Writer(DMWriter):
    dm_version = 'v2'

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **{**kwargs, 'dm_version': 'v2'})
