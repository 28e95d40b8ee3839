"""YOLO (Ultralytics): ``images/`` + ``labels/<stem>.txt`` (per split when categorized), ``dataset.yaml``.

Rows: detect ``cls cx cy w h``; segment ``cls x1 y1 x2 y2 ...``; pose ``cls cx cy w h x y v ...``
(pose rows are told apart by ``kpt_shape`` in ``dataset.yaml``, never by guessing from the count).
All coordinates are normalised to the image size.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from synapse_sdk.utils.converters.base import Reader, Writer
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError
from synapse_sdk.utils.converters.imagesize import image_size
from synapse_sdk.utils.converters.layout import SPLIT_ALIASES, list_images, place_image, safe_join
from synapse_sdk.utils.converters.lossy import Losses
from synapse_sdk.utils.converters.model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Polygon,
)
from synapse_sdk.utils.converters.numbers import bounds

YAML_NAMES = ('dataset.yaml', 'data.yaml')
_YAML_SPLIT_KEYS = {'train': 'train', 'valid': 'val', 'test': 'test'}
_EPS = 1e-6


def _clip01(value: float) -> float:
    return 0.0 if value < 0.0 else 1.0 if value > 1.0 else value


class YOLOReader(Reader):
    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        if not root.is_dir():
            raise DatasetLayoutError('dataset folder does not exist', file=root)
        self.config, self.config_file = self._load_config()
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

    def _load_config(self) -> tuple[dict[str, Any], Path | None]:
        for name in YAML_NAMES:
            path = self.root / name
            if path.is_file():
                try:
                    data = yaml.safe_load(path.read_text(encoding='utf-8'))
                except (yaml.YAMLError, UnicodeDecodeError) as error:  # a YAMLError or bytes that are not text
                    mark = getattr(error, 'problem_mark', None)
                    raise DatasetFormatError(
                        f'invalid YAML: {error}', file=path, line=None if mark is None else mark.line + 1
                    ) from None
                if not isinstance(data, dict):
                    raise DatasetFormatError('dataset YAML must be a mapping', file=path)
                return data, path
        return {}, None

    def _names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        names = self.config.get('names')
        if isinstance(names, dict):
            try:
                return [str(names[i]) for i in sorted(int(k) for k in names)]
            except (KeyError, ValueError):
                raise DatasetFormatError('"names" keys must be 0..N-1', file=self.config_file) from None
        if isinstance(names, list):
            return [str(n) for n in names]
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

    def _folders(self) -> list[tuple[str, Path, Path]]:
        found: list[tuple[str, Path, Path]] = []
        base = self.root
        if self.is_categorized:
            for split, aliases in SPLIT_ALIASES.items():
                images = self._yaml_dir(_YAML_SPLIT_KEYS[split])
                candidates: list[Path] = [images] if images else []
                for alias in aliases:
                    candidates += [base / alias / 'images', base / 'images' / alias]
                for candidate in candidates:
                    if candidate.is_dir():
                        found.append((split, candidate, _labels_dir(candidate)))
                        break
            if not found:
                raise DatasetLayoutError(
                    'no split folders found (expected train/images, valid/images, ... or images/train, ...)', file=base
                )
            return found
        flat: list[Path | None] = [self._yaml_dir('train'), base / 'images', base / 'img', base / 'imgs']
        for option in flat:
            if option is not None and option.is_dir():
                return [('', option, _labels_dir(option))]
        raise DatasetLayoutError('required folder "images" does not exist', file=base / 'images')

    def _yaml_dir(self, key: str) -> Path | None:
        value = self.config.get(key)
        if not isinstance(value, str):
            return None
        try:
            return safe_join(self.root, value.strip('./') or '.', file=self.config_file)
        except ConverterError:
            return None

    def count(self) -> int:
        return sum(len(list_images(images)) for _, images, _ in self._folders())

    def items(self) -> Iterator[Item]:
        for split, images_dir, labels_dir in self._folders():
            images = list_images(images_dir)
            labels = {n[:-4] for n in os.listdir(labels_dir) if n.endswith('.txt')} if labels_dir.is_dir() else set()
            for stem in sorted(images):
                image = images_dir / images[stem]
                label_file = labels_dir / f'{stem}.txt'
                try:
                    width, height = image_size(image)
                    text = label_file.read_text(encoding='utf-8') if stem in labels else ''
                except ConverterError as error:
                    self.problem(error, item=stem)
                    continue
                except (OSError, UnicodeDecodeError) as error:
                    self.problem(DatasetFormatError(f'cannot read label file ({error})', file=label_file), item=stem)
                    continue
                item = Item(stem, split, image, width, height, source=str(label_file))
                item.annotations = self.parse(text, label_file, width, height)
                yield item
            for orphan in sorted(labels - images.keys()):
                self.problem(
                    DatasetLayoutError('label file has no image', file=labels_dir / f'{orphan}.txt'), item=orphan
                )

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
            return Box(label, (cx - w / 2) * width, (cy - h / 2) * height, w * width, h * height)
        if count >= 6 and count % 2 == 0:
            return Polygon(label, [(clipped[i] * width, clipped[i + 1] * height) for i in range(0, count, 2)])
        expected = 'an even count >= 6 (polygon)'
        if self.kpt_shape:
            expected += f' or {4 + self.kpt_shape[0] * self.kpt_shape[1]} (pose, kpt_shape {list(self.kpt_shape)})'
        raise DatasetFormatError(f'label line has {count} values; expected 4 (box), {expected}', file=file, line=line)

    def _pose(self, label: str, cls: int, clipped: list[float], raw: list[float], width: int, height: int) -> Keypoints:
        assert self.kpt_shape is not None
        count, dims = self.kpt_shape
        cx, cy, w, h = clipped[:4]
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


def _labels_dir(images: Path) -> Path:
    parts = list(images.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == 'images':
            parts[i] = 'labels'
            return Path(*parts)
    return images.parent / 'labels'


class YOLOWriter(Writer):
    holds = frozenset({'bbox', 'polygon', 'keypoints', 'splits'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self._made: set[str] = set()
        self._folders: dict[str, tuple[Path, str]] = {}  # split -> (images folder, labels folder)
        self.kpt_shape: tuple[int, int] | None = None
        self.kpt_names: dict[int, list[str]] = {}
        self.losses = Losses('YOLO')
        self.final = Path(self.options.get('final') or out)

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        width, height = item.width, item.height
        rows = self._rows(item, width, height)
        folders = self._folders.get(item.split)
        if folders is None:
            base = self.out / item.split if item.split else self.out
            folders = self._folders[item.split] = (base / 'images', str(base / 'labels'))
            folders[0].mkdir(parents=True, exist_ok=True)
            os.makedirs(folders[1], exist_ok=True)
            self._made.add(item.split)
        images_dir, labels_dir = folders
        with open(os.path.join(labels_dir, f'{item.name}.txt'), 'wb') as handle:
            handle.write(('\n'.join(rows) + '\n').encode() if rows else b'')
        if self.images != 'none' and item.image is not None:
            place_image(item.image, images_dir / f'{item.name}{item.image.suffix}', self.images)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _rows(self, item: Item, width: int, height: int) -> list[str]:
        """The item's label rows; boxes, most of a dataset, inline (this loop is the writer's hot path)."""
        rows: list[str] = []
        class_id = self.classes.id
        boxes = 0
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
                rows.append(
                    f'{class_id(ann.label)} {(x0 + x1) / 2 / width:.6f} {(y0 + y1) / 2 / height:.6f} '
                    f'{(x1 - x0) / width:.6f} {(y1 - y0) / height:.6f}'
                )
            else:
                row = self._row(ann, item, width, height)
                if row is not None:
                    rows.append(row)
        if boxes:
            kinds = self.summary.kinds(item.split or 'all')
            kinds['bbox'] = kinds.get('bbox', 0) + boxes
        return rows

    def _row(self, ann: Annotation, item: Item, width: int, height: int) -> str | None:
        split = item.split
        if isinstance(ann, Polygon):
            if len(ann.points) < 3:
                self.report.skipped(
                    'polygon with fewer than 3 points', item=item.name, file=item.source or None, annotation=ann.id
                )
                return None
            coords = []
            clipped = False
            for x, y in ann.points:
                nx, ny = x / width, y / height
                if not (0.0 <= nx <= 1.0 and 0.0 <= ny <= 1.0):
                    clipped = True
                    nx, ny = _clip01(nx), _clip01(ny)
                coords.append(f'{nx:.6f} {ny:.6f}')
            if clipped:
                self.report.changed(
                    'polygon points clipped to the image', item=item.name, file=item.source or None, annotation=ann.id
                )
            self.losses.attrs(ann)
            self.counted(split, 'polygon')
            return f'{self.classes.id(ann.label)} ' + ' '.join(coords)
        if isinstance(ann, Keypoints):
            return self._pose(ann, item, width, height)
        self.losses.cannot_hold(ann)
        return None

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
        visible = [(p.x, p.y) for p in ann.points if p.v > 0]
        box = ann.box or (bounds(visible) if visible else (0.0, 0.0, float(width), float(height)))
        x0, y0 = max(box[0], 0.0), max(box[1], 0.0)
        x1, y1 = min(box[0] + box[2], width), min(box[1] + box[3], height)
        cid = self.classes.id(ann.label)
        self.kpt_names.setdefault(cid, [p.name for p in ann.points])
        parts = [_box_row(cid, x0, y0, x1, y1, width, height)]
        for p in ann.points:
            parts.append(f'{_clip01(p.x / width):.6f} {_clip01(p.y / height):.6f} {p.v}')
        self.losses.attrs(ann)
        self.counted(item.split, 'keypoints')
        return ' '.join(parts)

    def close(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        (self.out / 'classes.txt').write_text(''.join(f'{n}\n' for n in self.classes.names), encoding='utf-8')
        self._write_yaml()

    def finish(self, final: Path, folder: Path) -> None:
        self.final = final
        self._write_yaml(folder / YAML_NAMES[0])

    def _write_yaml(self, path: Path | None = None) -> None:
        config: dict[str, Any] = {'path': str(self.final.resolve())}
        order = ('train', 'valid', 'test', '')
        splits = sorted(self._made, key=lambda s: order.index(s) if s in order else len(order))
        if not splits or splits == ['']:
            config.update(train='images', val='images')
        else:
            for split in splits:
                if split:
                    config[_YAML_SPLIT_KEYS.get(split, split)] = f'{split}/images'
        config['nc'] = len(self.classes.names)
        config['names'] = list(self.classes.names)
        if self.kpt_shape:
            config['kpt_shape'] = list(self.kpt_shape)
            config['kpt_names'] = {k: v for k, v in sorted(self.kpt_names.items())}
        text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True, default_flow_style=None)
        (path or self.out / YAML_NAMES[0]).write_text(text, encoding='utf-8')
