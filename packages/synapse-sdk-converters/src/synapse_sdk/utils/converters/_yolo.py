"""YOLO (Ultralytics): ``images/`` + ``labels/<stem>.txt`` (per split when categorized), ``dataset.yaml``.

Rows: detect ``cls cx cy w h``; segment ``cls x1 y1 x2 y2 ...``; pose ``cls cx cy w h x y v ...``
(pose rows are told apart by ``kpt_shape`` in ``dataset.yaml``, never by guessing from the count).
All coordinates are normalised to the image size.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import yaml

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._detect import (
    YAML_NAMES,
    Layout,
    Part,
    detect_layout,
    labels_dir_for,
    read_yaml,
    resolve_listed,
)
from synapse_sdk.utils.converters._imagesize import image_size
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    MultiPolygon,
    Polygon,
)
from synapse_sdk.utils.converters._names import UniqueNames, walk_images
from synapse_sdk.utils.converters._numbers import bounds
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError

_YAML_SPLIT_KEYS = {'train': 'train', 'valid': 'val', 'test': 'test'}
_EPS = 1e-6
#: YOLO tasks a dataset can be written for (``auto`` picks one from the data).
TASKS = ('detect', 'segment', 'pose', 'auto')


def _is_shape(ann: Annotation) -> bool:
    """Does ``ann`` make an ``auto`` dataset a segment dataset (a polygon that will be written)?"""
    return (type(ann) is Polygon and len(ann.points) >= 3) or type(ann) is MultiPolygon


def _clip01(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


class YOLOReader(Reader):
    """Reads every YOLO layout :func:`detect_layout` knows: Ultralytics ``data.yaml`` (folders, image
    lists), Roboflow, Darknet ``obj.data``, plain ``images/`` + ``labels/``; images in sub-folders too."""

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        if not root.is_dir():
            raise DatasetLayoutError('dataset folder does not exist', file=root)
        self._layout_error: DatasetLayoutError | None = None
        try:
            self.layout = detect_layout(
                root, 'yolo', is_categorized=self.is_categorized, images_dir=self.options.get('images_dir')
            )
        except DatasetLayoutError as error:  # raised when the items are asked for, as before
            self._layout_error = error
            self.layout = Layout('yolo', '', root)
        config = self.layout.config
        self.config: dict[str, Any] = read_yaml(config) if config and config.suffix in ('.yaml', '.yml') else {}
        self.config_file = config
        self.names = self._names()
        kpt = self.config.get('kpt_shape')
        self.kpt_shape: tuple[int, int] | None = None
        if isinstance(kpt, list) and len(kpt) == 2 and all(isinstance(v, int) for v in kpt) and kpt[1] in (2, 3):
            self.kpt_shape = (kpt[0], kpt[1])
        raw_kpt_names = self.config.get('kpt_names') or {}
        self.kpt_names: dict[int, list[str]] = {}
        if isinstance(raw_kpt_names, dict):
            for key, value in raw_kpt_names.items():
                if isinstance(key, int) and isinstance(value, list):
                    self.kpt_names[key] = [str(v) for v in value]

    def _names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        if self.layout.names is not None:
            return self.layout.names
        classes = self.root / 'classes.txt'
        if classes.is_file():
            try:
                text = classes.read_text(encoding='utf-8')
            except UnicodeDecodeError:
                raise DatasetFormatError('classes.txt is not UTF-8 text', file=classes) from None
            return [line.strip() for line in text.splitlines() if line.strip()]
        return None

    def class_names(self) -> list[str] | None:
        return self.names

    def keypoint_count(self) -> int | None:
        return self.kpt_shape[0] if self.kpt_shape else None

    def _parts(self) -> list[Part]:
        if self._layout_error is not None:
            raise self._layout_error
        return self.layout.parts

    def count(self) -> int:
        return sum(len(self._images(part)) for part in self._parts())

    def _images(self, part: Part) -> list[str]:
        if part.listing is None:
            return walk_images(part.images[0])
        try:
            lines = part.listing.read_text(encoding='utf-8').splitlines()
        except (OSError, UnicodeDecodeError) as error:
            raise DatasetFormatError(f'cannot read image list ({error})', file=part.listing) from None
        return [str(resolve_listed(self.root, part.listing, line)) for line in lines if line.strip()]

    def items(self) -> Iterator[Item]:
        names = UniqueNames(self.report)
        for part in self._parts():
            yield from self._part_items(part, names)

    def _part_items(self, part: Part, names: UniqueNames) -> Iterator[Item]:
        """The items of one part; label files are looked up in one directory listing per folder."""
        split = part.split
        listings: dict[str, set[str]] = {}
        used: set[str] = set()
        labels_dir = str(part.annotations)
        cut = len(str(part.images[0])) + 1
        seen = names.seen(split)
        splitext, join = os.path.splitext, os.path.join
        for text_path in self._images(part):
            image = Path(text_path)
            if part.listing is None:
                rel = splitext(text_path[cut:])[0]
                if '/' in rel or os.sep in rel:
                    folder, label_name = os.path.split(join(labels_dir, rel + '.txt'))
                else:
                    folder, label_name = labels_dir, rel + '.txt'
            else:
                rel = image.stem
                folder, label_name = str(labels_dir_for(image.parent)), rel + '.txt'
            listing = listings.get(folder)
            if listing is None:
                try:
                    listing = listings[folder] = {n for n in os.listdir(folder) if n.endswith('.txt')}
                except OSError:
                    listing = listings[folder] = set()
            label_path = join(folder, label_name)
            has_label = label_name in listing
            stem = image.stem
            try:
                if part.listing is not None and not image.is_file():
                    raise DatasetLayoutError('image named in the image list does not exist', file=image)
                width, height = image_size(image)
                if has_label:
                    with open(label_path, encoding='utf-8') as handle:
                        text = handle.read()
                else:
                    text = ''
            except ConverterError as error:
                self.problem(error, item=stem)
                continue
            except (OSError, UnicodeDecodeError) as error:
                self.problem(DatasetFormatError(f'cannot read label file ({error})', file=label_path), item=stem)
                continue
            if has_label:
                used.add(label_path)
            if stem in seen:
                name = names.name(split, stem, rel, text_path)
            else:
                seen.add(stem)
                name = stem
            label_file = Path(label_path)
            item = Item(name, split, image, width, height, source=label_path)
            item.annotations = self.parse(text, label_file, width, height)
            yield item
        if part.listing is None:  # label files without an image (in the folders listed)
            for folder, listing in listings.items():
                for label_name in sorted(listing):
                    path = join(folder, label_name)
                    if path not in used and label_name != 'classes.txt':
                        self.problem(DatasetLayoutError('label file has no image', file=path), item=label_name[:-4])

    def parse(self, text: str, file: Path, width: int, height: int) -> list[Annotation]:
        """Parse one label file's text; bad lines are reported (or raised in strict mode)."""
        out: list[Annotation] = []
        names = self.names or []
        for lineno, line in enumerate(text.splitlines(), 1):
            parts = line.split()
            if not parts:
                continue
            try:
                out.append(self._row(parts, names, file, lineno, width, height))
            except DatasetFormatError as error:
                self.problem(error, item=file.stem)
        return out

    def _row(self, parts: list[str], names: list[str], file: Path, line: int, width: int, height: int) -> Annotation:
        try:
            cls_value = float(parts[0])
            values = [float(v) for v in parts[1:]]
        except ValueError:
            raise DatasetFormatError('label line has a value that is not a number', file=file, line=line) from None
        if not cls_value.is_integer() or cls_value < 0:
            raise DatasetFormatError(f'class index {parts[0]!r} is not a non-negative integer', file=file, line=line)
        total = sum(values)
        if total - total != 0:  # a NaN or an infinity somewhere
            raise DatasetFormatError('label line has a value that is not finite', file=file, line=line)
        cls = int(cls_value)
        if cls < len(names):
            label = names[cls]
        else:
            label = f'class_{cls}'
            self.report.changed(
                f'unknown class index {cls} (dataset has {len(names)} classes); named {label!r}',
                file=str(file),
                line=line,
            )
        count = len(values)
        pose = bool(self.kpt_shape) and count == 4 + self.kpt_shape[0] * self.kpt_shape[1]  # type: ignore[index]
        clipped = values
        if values and (pose or min(values) < -_EPS or max(values) > 1 + _EPS):  # rare: check value by value
            clipped = [_clip01(v) for v in values]
            if pose and self.kpt_shape and self.kpt_shape[1] == 3:
                for i in range(6, count, 3):  # visibility flags are not coordinates
                    clipped[i] = values[i]
            if any(abs(a - b) > _EPS for a, b in zip(clipped, values, strict=True)):
                self.report.changed('coordinates outside the image were clipped', file=str(file), line=line)
        if pose:
            return self._pose(label, cls, clipped, values, width, height)
        if count == 4:
            cx, cy, w, h = clipped
            x0, y0, bw, bh = (cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height
            if x0 < 0 or y0 < 0 or x0 + bw > width or y0 + bh > height:  # a hair outside (6-decimal rounding)
                x1, y1 = min(x0 + bw, float(width)), min(y0 + bh, float(height))
                x0, y0 = max(x0, 0.0), max(y0, 0.0)
                bw, bh = x1 - x0, y1 - y0
            return Box(label, x0, y0, bw, bh)
        if count >= 6 and count % 2 == 0:
            return Polygon(label, [(clipped[i] * width, clipped[i + 1] * height) for i in range(0, count, 2)])
        expected = 'an even count >= 6 (polygon)'
        if self.kpt_shape:
            expected += f' or {4 + self.kpt_shape[0] * self.kpt_shape[1]} (pose, kpt_shape {list(self.kpt_shape)})'
        raise DatasetFormatError(f'label line has {count} values; expected 4 (box), {expected}', file=file, line=line)

    def _pose(
        self, label: str, cls: int, clipped: list[float], raw: list[float], width: int, height: int
    ) -> Keypoints | Box:
        assert self.kpt_shape is not None
        count, dims = self.kpt_shape
        cx, cy, w, h = clipped[:4]
        if dims == 3 and not any(raw[6 + i * 3] for i in range(count)):  # no keypoint visible: a plain box
            return Box(label, (cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
        names = self.kpt_names.get(cls) or [f'kp_{i}' for i in range(count)]
        points = []
        for i in range(count):
            x, y = clipped[4 + i * dims], clipped[5 + i * dims]
            v = int(raw[6 + i * dims]) if dims == 3 else 2
            name = names[i] if i < len(names) else f'kp_{i}'
            points.append(Keypoint(name, x * width, y * height, v if v in (0, 1, 2) else 2))
        return Keypoints(label, points, ((cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height))


def _box_row(cid: int, x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> str:
    cx, cy = (x0 + x1) / 2 / width, (y0 + y1) / 2 / height
    return f'{cid} {cx:.6f} {cy:.6f} {(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}'


def _corners_row(cid: int, x0: float, y0: float, x1: float, y1: float, width: int, height: int) -> str:
    """A box as the segment row of its four corners (top-left, top-right, bottom-right, bottom-left)."""
    a, b, c, d = f'{x0 / width:.6f}', f'{y0 / height:.6f}', f'{x1 / width:.6f}', f'{y1 / height:.6f}'
    return f'{cid} {a} {b} {c} {b} {c} {d} {a} {d}'


def _merged_ring(parts: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """Several rings as one, joined by zero-width bridges between nearest points (as Ultralytics'
    own COCO converter does), so a multi-part object is one segment row."""
    ring = list(parts[0])
    for part in parts[1:]:
        best = (0, 0, float('inf'))
        for i, (ax, ay) in enumerate(ring):
            for j, (bx, by) in enumerate(part):
                d = (ax - bx) ** 2 + (ay - by) ** 2
                if d < best[2]:
                    best = (i, j, d)
        i, j, _ = best
        rotated = part[j:] + part[:j] + [part[j]]
        ring = ring[: i + 1] + rotated + ring[i:]
    return ring


class YOLOWriter(Writer):
    """Writes one task for the whole dataset (Ultralytics refuses files that mix box and polygon rows).

    ``task='detect'`` writes every shape as its box; ``'segment'`` writes boxes as their four-corner
    polygons; ``'pose'`` writes keypoint objects (boxes and polygons as pose rows without visible
    keypoints). ``'auto'`` is ``pose`` when the source declares keypoints (a COCO category with
    keypoint names, a YOLO ``kpt_shape``), else ``segment`` once any polygon is met, else ``detect``;
    label files written before the first polygon are rewritten at the end. Every shape written as
    another kind is reported as changed.
    """

    holds = frozenset({'bbox', 'polygon', 'keypoints', 'splits'})
    per_image = True

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self._made: set[str] = set()
        self._folders: dict[str, tuple[Path, str]] = {}  # split -> (images folder, labels folder)
        kpt = self.options.get('kpt_shape')
        self.kpt_shape: tuple[int, int] | None = (int(kpt[0]), 3) if kpt else None
        self.kpt_names: dict[int, list[str]] = {}
        self.losses = Losses('YOLO')
        asked = str(self.options.get('task') or 'auto')
        if asked not in TASKS:
            raise ValueError(f'task must be one of {", ".join(TASKS)}, not {asked!r}')
        self.asked = asked
        #: the task in force; 'auto' until a polygon is met (label files are detect rows meanwhile)
        self.task = 'pose' if asked == 'auto' and self.options.get('declared_task') == 'pose' else asked
        #: while the task is 'auto', the segment rows of every label file written as detect rows, on
        #: disk (``path NUL item NUL source NUL row NUL row ...`` lines): rewritten if a polygon comes
        self.spool: IO[str] | None = None
        self._corners: list[str] = []

    def shared(self) -> dict[str, Any]:
        return {'task': self.task, 'kpt_shape': self.kpt_shape}

    def adopt(self, state: dict[str, Any]) -> None:
        self.task, self.kpt_shape = state['task'], state['kpt_shape']

    def delta(self) -> dict[str, Any]:
        spooled = ''
        if self.spool is not None:
            self.spool.seek(0)
            spooled = self.spool.read()
            self.spool.seek(0)
            self.spool.truncate()
        delta = {'made': set(self._made), 'kpt_names': dict(self.kpt_names), 'spool': spooled}
        self.kpt_names.clear()
        return delta

    def merge(self, delta: dict[str, Any]) -> None:
        self._made |= delta['made']
        for cid, names in delta['kpt_names'].items():
            self.kpt_names.setdefault(cid, names)
        if delta['spool']:
            if self.spool is None:
                self.spool = tempfile.TemporaryFile('w+', encoding='utf-8', newline='\n')
            self.spool.seek(0, os.SEEK_END)
            self.spool.write(delta['spool'])

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        width, height = item.width, item.height
        if self.task == 'auto' and any(_is_shape(a) for a in item.annotations):
            self.task = 'segment'
        rows = self._rows(item, width, height)
        folders = self._folders.get(item.split)
        if folders is None:
            base = self.out / item.split if item.split else self.out
            folders = self._folders[item.split] = (base / 'images', str(base / 'labels'))
            folders[0].mkdir(parents=True, exist_ok=True)
            os.makedirs(folders[1], exist_ok=True)
            self._made.add(item.split)
        images_dir, labels_dir = folders
        label_path = os.path.join(labels_dir, f'{item.name}.txt')
        self.put(label_path, ('\n'.join(rows) + '\n').encode() if rows else b'')
        if self.task == 'auto' and rows:
            if self.spool is None:
                self.spool = tempfile.TemporaryFile('w+', encoding='utf-8', newline='\n')
            self.spool.write('\0'.join((label_path, item.name, item.source, *self._corners)) + '\n')
        self.put_image(item, images_dir)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _rows(self, item: Item, width: int, height: int) -> list[str]:
        """The item's label rows; boxes, most of a dataset, inline (this loop is the writer's hot path)."""
        rows: list[str] = []
        class_id = self.classes.id
        boxes = 0
        task = self.task
        corners = self._corners
        corners.clear()
        for ann in item.annotations:
            if type(ann) is Box:
                x0, y0 = ann.x, ann.y
                x1, y1 = x0 + ann.w, y0 + ann.h
                if not (0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height):
                    clipped = self.clip_box(ann, item, width, height)
                    if clipped is None:
                        continue
                    x0, y0, x1, y1 = clipped
                if ann.attrs:
                    self.losses.add('annotation attributes')
                boxes += 1
                cid = class_id(ann.label)
                if task == 'segment':
                    rows.append(_corners_row(cid, x0, y0, x1, y1, width, height))
                    continue
                row = (
                    f'{cid} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} '
                    f'{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}'
                )
                if task == 'auto':
                    corners.append(_corners_row(cid, x0, y0, x1, y1, width, height))
                elif task == 'pose':
                    pose = self._pose_from_box(row, ann, item)
                    if pose is None:
                        continue
                    row = pose
                rows.append(row)
            else:
                other = self._row(ann, item, width, height)
                if other is not None:
                    rows.append(other)
        if boxes:
            kinds = self.summary.kinds(item.split or 'all')
            kinds['bbox'] = kinds.get('bbox', 0) + boxes
            if task == 'segment':
                self.losses.change('boxes written as their four-corner polygons (task=segment)', boxes)
        return rows

    def _row(self, ann: Annotation, item: Item, width: int, height: int) -> str | None:
        split = item.split
        if isinstance(ann, (Polygon, MultiPolygon)):
            parts = [ann.points] if isinstance(ann, Polygon) else [p for p in ann.parts if len(p) >= 3]
            if not parts or len(parts[0]) < 3:
                self.report.skipped(
                    'polygon with fewer than 3 points', item=item.name, file=item.source or None, annotation=ann.id
                )
                return None
            points = parts[0] if len(parts) == 1 else [p for part in parts for p in part]
            if self.task != 'segment':
                box = bounds(points)
                row = _box_row(
                    self.classes.id(ann.label),
                    max(box[0], 0.0),
                    max(box[1], 0.0),
                    min(box[0] + box[2], width),
                    min(box[1] + box[3], height),
                    width,
                    height,
                )
                self.losses.attrs(ann)
                self.counted(split, 'polygon')
                if self.task == 'pose':
                    return self._pose_from_box(row, ann, item)
                self.losses.change('polygons written as their boxes (task=detect)')
                return row
            if len(parts) > 1:
                points = _merged_ring(parts)
                self.losses.change('multi-part polygons joined into one ring (YOLO rows hold one polygon)')
            coords: list[float] = []
            clipped = False
            for x, y in points:
                nx, ny = x / width, y / height
                if not (0.0 <= nx <= 1.0 and 0.0 <= ny <= 1.0):
                    clipped = True
                    nx, ny = _clip01(nx), _clip01(ny)
                coords.append(nx)
                coords.append(ny)
            if clipped:
                self.report.changed(
                    'polygon points clipped to the image', item=item.name, file=item.source or None, annotation=ann.id
                )
            self.losses.attrs(ann)
            self.counted(split, 'polygon')
            return ('%d' + ' %.6f' * len(coords)) % (self.classes.id(ann.label), *coords)  # one C call formats all
        if isinstance(ann, Keypoints):
            if self.task == 'pose':
                return self._pose(ann, item, width, height)
            self.losses.attrs(ann)
            self.counted(split, 'keypoints')
            self.losses.change("keypoint objects written as their boxes (pass task='pose' to keep the keypoints)")
            if self.task == 'detect':
                return self._keypoints_box(ann, width, height)
            corner = self._keypoints_box(ann, width, height, _corners_row)
            if self.task == 'segment':
                return corner
            self._corners.append(corner)
            return self._keypoints_box(ann, width, height)
        self.losses.cannot_hold(ann)
        return None

    def _keypoints_box(self, ann: Keypoints, width: int, height: int, row: Callable[..., str] = _box_row) -> str:
        visible = [(p.x, p.y) for p in ann.points if p.v > 0]
        box = ann.box or (bounds(visible) if visible else (0.0, 0.0, float(width), float(height)))
        x0, y0 = max(box[0], 0.0), max(box[1], 0.0)
        x1, y1 = min(box[0] + box[2], width), min(box[1] + box[3], height)
        return row(self.classes.id(ann.label), x0, y0, x1, y1, width, height)

    def _pose_from_box(self, row: str, ann: Annotation, item: Item) -> str | None:
        """A box or polygon in a pose dataset: its box with every keypoint invisible (as Ultralytics
        writes COCO persons without keypoints)."""
        if self.kpt_shape is None:
            self.report.skipped(
                'shape without keypoints before the first keypoint object (pass task=detect or segment)',
                item=item.name,
                file=item.source or None,
                annotation=getattr(ann, 'id', None),
            )
            return None
        self.losses.change('shapes written as pose rows without visible keypoints (task=pose)')
        return row + ' 0.000000 0.000000 0' * self.kpt_shape[0]

    def _pose(self, ann: Keypoints, item: Item, width: int, height: int) -> str | None:
        count = len(ann.points)
        if self.kpt_shape is None:
            self.kpt_shape = (count, 3)
        elif self.kpt_shape[0] != count:
            self.report.skipped(
                f'keypoint object has {count} points but the dataset has {self.kpt_shape[0]} '
                '(YOLO needs one kpt_shape)',
                item=item.name,
                file=item.source or None,
                annotation=ann.id,
            )
            return None
        parts = [self._keypoints_box(ann, width, height)]
        cid = self.classes.id(ann.label)
        self.kpt_names.setdefault(cid, [p.name for p in ann.points])
        for p in ann.points:
            parts.append(f'{_clip01(p.x / width):.6f} {_clip01(p.y / height):.6f} {p.v}')
        self.losses.attrs(ann)
        self.counted(item.split, 'keypoints')
        return ' '.join(parts)

    def resolve(self, task: str) -> None:
        """Settle an ``auto`` dataset on ``task``: for ``segment``, rewrite the label files written as
        detect rows before the first polygon (from the spool, so the rows equal direct writing)."""
        spool, self.spool = self.spool, None
        if spool is not None and task == 'segment':
            spool.seek(0)
            for line in spool:
                path, name, source, *rows = line.rstrip('\n').split('\0')
                with open(path, 'wb') as handle:
                    handle.write(('\n'.join(rows) + '\n').encode())
                self.report.changed(
                    f'boxes written as their four-corner polygons (task=segment) (x{len(rows)})',
                    item=name,
                    file=source or None,
                )
        if spool is not None:
            spool.close()
        self.task = task

    def close(self) -> None:
        self.resolve('detect' if self.task == 'auto' else self.task)
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / 'classes.txt').write_text(''.join(f'{n}\n' for n in self.classes.names), encoding='utf-8')
        self._write_yaml()

    def _write_yaml(self) -> None:
        # no ``path``: Ultralytics then resolves the splits against the YAML's own folder, so the
        # dataset still loads after it is copied or moved (a relative ``path`` would be taken
        # against the current directory or Ultralytics' datasets_dir)
        config: dict[str, Any] = {}
        order = ('train', 'valid', 'test', '')
        splits = sorted(self._made, key=lambda s: order.index(s) if s in order else len(order))
        if not splits or splits == ['']:
            config.update(train='images', val='images')
        else:
            for split in splits:
                if split:
                    config[_YAML_SPLIT_KEYS.get(split, split)] = f'{split}/images'
        config['task'] = self.task
        config['nc'] = len(self.classes.names)
        config['names'] = list(self.classes.names)
        if self.kpt_shape:
            config['kpt_shape'] = list(self.kpt_shape)
            config['kpt_names'] = {k: v for k, v in sorted(self.kpt_names.items())}
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=None)
        for name in YAML_NAMES:  # dataset.yaml (ours, as before) and data.yaml (what Datumaro and Roboflow look for)
            (self.out / name).write_text(text, encoding='utf-8')
