"""Pascal VOC: ``Annotations/<stem>.xml``, ``JPEGImages/``, ``ImageSets/Main/<split>.txt``, ``labelmap.txt``.

Boxes follow the devkit: 1-based, inclusive integer pixels, so a box covering pixels ``x .. x+w``
(0-based, exclusive end) is written ``xmin = x + 1``, ``xmax = x + w``. ``difficult``,
``truncated``, ``occluded`` and ``pose`` become DM attributes (only when set); other DM attributes go
in an ``<attributes>`` block, as CVAT writes them.
"""

from __future__ import annotations

import math
import os
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.sax.saxutils import escape

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._detect import Part, detect_layout, read_text
from synapse_sdk.utils.converters._jsonio import dumps, loads
from synapse_sdk.utils.converters._layout import list_images, safe_join
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import Box, Item, Keypoints, Point, Polygon
from synapse_sdk.utils.converters._names import UniqueNames
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError

FLAGS = ('difficult', 'truncated', 'occluded')
_SPLIT_FILES = {'train': 'train', 'valid': 'val', 'test': 'test', '': 'default'}


def _attr_text(value: Any) -> str:
    if isinstance(value, str) and _attr_value(value) == value:
        return value
    # Non-strings, and strings that would read back as something else ("1", "true"), go as JSON.
    return dumps(value).decode()


def _attr_value(text: str) -> Any:
    if text and text[0] in '-0123456789tfn[{"':
        try:
            return loads(text)
        except ValueError:
            return text
    return text


def read_labelmap(path: Path) -> list[str]:
    names = []
    try:
        text = path.read_text(encoding='utf-8')
    except UnicodeDecodeError:
        raise DatasetFormatError('labelmap is not UTF-8 text', file=path) from None
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith('#'):
            names.append(line.split(':', 1)[0])
    return names


class VOCReader(Reader):
    """Reads ``VOCdevkit/VOC20xx``, a VOC folder (``ImageSets/Main`` splits), split folders and the
    XML-beside-the-images layout (Roboflow, supervision) that :func:`detect_layout` finds."""

    def _roots(self) -> list[Part]:
        if not self.root.is_dir():
            raise DatasetLayoutError('dataset folder does not exist', file=self.root)
        try:
            layout = detect_layout(
                self.root, 'pascal', is_categorized=self.is_categorized, images_dir=self.options.get('images_dir')
            )
        except DatasetLayoutError as error:
            if 'found no' in error.reason:
                raise DatasetLayoutError(
                    'required folder "Annotations" does not exist', file=self.root / 'Annotations'
                ) from None
            raise
        return layout.parts

    def class_names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        path = self.root / 'labelmap.txt'
        return read_labelmap(path) if path.is_file() else None

    @staticmethod
    def _stems(part: Part) -> list[str]:
        if part.listing is not None:
            text = read_text(part.listing, 'image set list')
            return [line.strip() for line in text.splitlines() if line.strip()]
        names = os.listdir(part.annotations) if part.annotations.is_dir() else []
        return sorted(n[:-4] for n in names if n.lower().endswith('.xml'))

    def count(self) -> int:
        return sum(len(self._stems(part)) for part in self._roots())

    def items(self) -> Iterator[Item]:
        names = UniqueNames(self.report)
        for part in self._roots():
            image_dir = next((d for d in part.images if d.is_dir()), part.images[0])
            images = list_images(image_dir)
            annotations = part.annotations
            listing = {n.lower(): n for n in os.listdir(annotations)} if annotations.is_dir() else {}
            for stem in self._stems(part):
                if f'{stem}.xml'.lower() not in listing:
                    stem = _listed_stem(stem)
                try:
                    xml_name = listing.get(f'{stem}.xml'.lower(), f'{stem}.xml')
                    xml_path = safe_join(annotations, xml_name, file=annotations)
                    item = self.parse(xml_path, part.split, image_dir, images)
                except ConverterError as error:
                    self.problem(error, item=stem)
                    continue
                if item.image is None:
                    item.looked_in = tuple(str(d / (item.image_name or f'{stem}.jpg')) for d in part.images)
                item.name = names.name(part.split, item.name, Path(part.annotations.name) / stem, item.source)
                yield item

    def parse(self, path: Path, split: str, image_dir: Path, images: dict[str, str]) -> Item:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise DatasetFormatError(f'cannot read annotation ({error.strerror})', file=path) from None
        notes: list[str] = []
        item = parse_voc_xml(data, path, split, image_dir, images, notes)
        for message in notes:
            self.report.changed(message, item=item.name, file=str(path))
        return item


def _listed_stem(line: str) -> str:
    """A line of ``ImageSets/Main/*.txt``: ``stem`` (spaces allowed) or ``stem  1`` (per-class lists)."""
    text = line.strip()
    head, _, flag = text.rpartition(' ')
    return head.rstrip() if head and flag in ('1', '-1', '0') else text


def parse_voc_xml(
    data: bytes, path: Path, split: str, image_dir: Path, images: dict[str, str], notes: list[str] | None = None
) -> Item:
    """One VOC annotation file as an :class:`Item`; :class:`DatasetFormatError` names file and line.

    ``<actions>`` become the object's ``actions`` attribute (the names set to 1); each ``<part>``
    becomes a box of its own with ``part_of`` (the object's label and index), noted in ``notes``.
    """
    try:
        root = ET.fromstring(data)
    except ET.ParseError as error:
        line = error.position[0] if getattr(error, 'position', None) else None
        raise DatasetFormatError(f'invalid XML: {error}', file=path, line=line) from None
    if root.tag != 'annotation':
        raise DatasetFormatError(f'root element is <{root.tag}>, expected <annotation>', file=path)
    stem = path.stem
    file_name = (root.findtext('filename') or '').strip()
    image: Path | None = None
    if file_name:
        candidate = safe_join(image_dir, file_name, file=path)
        if candidate.is_file():
            image = candidate
    if image is None and stem in images:
        image = image_dir / images[stem]
    width = _int(root.findtext('size/width'))
    height = _int(root.findtext('size/height'))
    item = Item(stem, split, image, width or None, height or None, source=str(path))
    if image is None and file_name:
        item.image_name = Path(file_name).name
    for index, obj in enumerate(root.iter('object')):
        where = f'object[{index}]'
        name = (obj.findtext('name') or '').strip()
        if not name:
            raise DatasetFormatError('object has no <name>', file=path, key=where)
        xmin, ymin, xmax, ymax = _bndbox_values(obj, path, where)
        attrs: dict[str, Any] = {}
        for flag in FLAGS:
            text = (obj.findtext(flag) or '').strip()
            if text and text != '0':
                attrs[flag] = _attr_value(text)
        pose = (obj.findtext('pose') or '').strip()
        if pose and pose != 'Unspecified':
            attrs['pose'] = pose
        for attribute in obj.iterfind('attributes/attribute'):
            attr_name = attribute.findtext('name')
            if attr_name:
                attrs[attr_name] = _attr_value(attribute.findtext('value') or '')
        actions = obj.find('actions')
        if actions is not None:
            attrs['actions'] = [child.tag for child in actions if (child.text or '').strip() in ('1', 'true')]
        item.annotations.append(Box(name, xmin - 1, ymin - 1, xmax - xmin + 1, ymax - ymin + 1, attrs))
        for part_index, part in enumerate(obj.iterfind('part')):
            part_name = (part.findtext('name') or '').strip()
            if not part_name:
                raise DatasetFormatError('part has no <name>', file=path, key=f'{where}.part[{part_index}]')
            pxmin, pymin, pxmax, pymax = _bndbox_values(part, path, f'{where}.part[{part_index}]')
            part_attrs = {'part_of': name, 'part_of_object': index}
            item.annotations.append(
                Box(part_name, pxmin - 1, pymin - 1, pxmax - pxmin + 1, pymax - pymin + 1, part_attrs)
            )
            if notes is not None:
                notes.append(f'<part> {part_name!r} of {where} ({name}) kept as a box with attribute part_of')
    return item


def _bndbox_values(element: ET.Element, path: Path, where: str) -> tuple[float, float, float, float]:
    box = element.find('bndbox')
    if box is None:
        raise DatasetFormatError('object has no <bndbox>', file=path, key=where)
    try:
        xmin, ymin, xmax, ymax = (float(box.findtext(k) or 'nan') for k in ('xmin', 'ymin', 'xmax', 'ymax'))
    except ValueError:
        raise DatasetFormatError('<bndbox> values must be numbers', file=path, key=where) from None
    if not all(math.isfinite(v) for v in (xmin, ymin, xmax, ymax)):
        raise DatasetFormatError('<bndbox> values must be finite numbers', file=path, key=where)
    if not (xmax >= xmin and ymax >= ymin):
        raise DatasetFormatError('<bndbox> needs xmin <= xmax and ymin <= ymax', file=path, key=where)
    return xmin, ymin, xmax, ymax


_DEFAULT_FLAGS = '\t\t<pose>Unspecified</pose>\n' + ''.join(f'\t\t<{flag}>0</{flag}>\n' for flag in FLAGS)


def _bndbox(xmin: int, ymin: int, xmax: int, ymax: int) -> str:
    return (
        f'\t\t<bndbox>\n\t\t\t<xmin>{xmin}</xmin>\n\t\t\t<ymin>{ymin}</ymin>\n'
        f'\t\t\t<xmax>{xmax}</xmax>\n\t\t\t<ymax>{ymax}</ymax>\n\t\t</bndbox>\n'
    )


def _int(text: str | None) -> int:
    try:
        return max(int(float(text or 0)), 0)
    except (ValueError, OverflowError):
        return 0


class VOCWriter(Writer):
    holds = frozenset({'bbox', 'attributes', 'splits'})
    per_image = True

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.annotations = out / 'Annotations'
        self.image_dir = out / 'JPEGImages'
        self.sets = out / 'ImageSets' / 'Main'
        for folder in (self.annotations, self.image_dir, self.sets):
            folder.mkdir(parents=True, exist_ok=True)
        self._lists: dict[str, IO[str]] = {}
        self.losses = Losses('Pascal VOC')
        self._heads: dict[str, str] = {}
        self._names: set[str] = set()
        self._annotations = str(self.annotations)
        #: a worker's ``ImageSets`` lines of the batch it writes (the main process writes the files)
        self._listed: dict[str, list[str]] = {}

    def prepare(self, item: Item) -> None:
        if item.name in self._names:  # VOC keeps every split in one folder: both kept, this one renamed
            renamed = f'{item.split}_{item.name}' if item.split else f'{item.name}_2'
            count = 2
            while renamed in self._names:
                count += 1
                renamed = f'{item.split}_{item.name}_{count}' if item.split else f'{item.name}_{count}'
            self.report.changed(
                f'another split already has an image named {item.name!r}; written as {renamed!r}',
                item=renamed,
                file=str(item.image) if item.image else item.source or None,
            )
            item.name = renamed
        self._names.add(item.name)

    def delta(self) -> dict[str, Any]:
        listed, self._listed = self._listed, {}
        return {'listed': listed}

    def merge(self, delta: dict[str, Any]) -> None:
        for split, names in delta['listed'].items():
            self._list(split).write(''.join(f'{name}\n' for name in names))

    def _list(self, split: str) -> IO[str]:
        handle = self._lists.get(split)
        if handle is None:
            handle = self._lists[split] = open(
                self.sets / f'{_SPLIT_FILES.get(split, split)}.txt', 'w', encoding='utf-8'
            )
        return handle

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        width, height = item.width, item.height
        file_name = item.output_file_name
        parts = [
            '<annotation>\n\t<folder>JPEGImages</folder>\n'
            f'\t<filename>{escape(file_name)}</filename>\n'
            '\t<source>\n\t\t<database>Unknown</database>\n\t</source>\n'
            f'\t<size>\n\t\t<width>{width}</width>\n\t\t<height>{height}</height>\n\t\t<depth>3</depth>\n\t</size>\n'
            '\t<segmented>0</segmented>\n'
        ]
        for ann in item.annotations:
            if isinstance(ann, Box):
                obj = self._object(ann, item, width, height)
                if obj:
                    parts.append(obj)
            elif isinstance(ann, Polygon):
                self.losses.add('polygons')
            elif isinstance(ann, Keypoints):
                self.losses.add('keypoints')  # the object's box is kept
                if ann.box is not None:
                    obj = self._object(Box(ann.label, *ann.box, attrs=ann.attrs, id=ann.id), item, width, height)
                    if obj:
                        parts.append(obj)
            elif isinstance(ann, Point):
                self.losses.add('keypoints')
            else:
                self.losses.cannot_hold(ann)
        parts.append('</annotation>\n')
        self.put(os.path.join(self._annotations, f'{item.name}.xml'), ''.join(parts).encode())
        self.put_image(item, self.image_dir)
        if self.files is not None:  # a worker's copy
            self._listed.setdefault(item.split, []).append(item.name)
        else:
            self._list(item.split).write(item.name + '\n')
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _object(self, ann: Box, item: Item, width: int, height: int) -> str | None:
        xmin, ymin = round(ann.x) + 1, round(ann.y) + 1
        xmax, ymax = round(ann.x + ann.w), round(ann.y + ann.h)
        cxmin, cymin = max(xmin, 1), max(ymin, 1)
        cxmax, cymax = min(xmax, width), min(ymax, height)
        if cxmax < cxmin or cymax < cymin:
            self.box_outside(ann, item)
            return None
        if (cxmin, cymin, cxmax, cymax) != (xmin, ymin, xmax, ymax):
            self.box_clipped(ann, item)
        self.classes.id(ann.label)
        self.counted(item.split, 'bbox')
        head = self._heads.get(ann.label)
        if head is None:
            head = self._heads[ann.label] = f'\t<object>\n\t\t<name>{escape(ann.label)}</name>\n'
        if not ann.attrs:
            return f'{head}{_DEFAULT_FLAGS}{_bndbox(cxmin, cymin, cxmax, cymax)}\t</object>\n'
        attrs = dict(ann.attrs)
        pose = attrs.pop('pose', 'Unspecified')
        flags = ''.join(f'\t\t<{flag}>{escape(_attr_text(attrs.pop(flag, 0)))}</{flag}>\n' for flag in FLAGS)
        extra = ''
        if attrs:
            extra = (
                '\t\t<attributes>\n'
                + ''.join(
                    f'\t\t\t<attribute>\n\t\t\t\t<name>{escape(str(k))}</name>\n'
                    f'\t\t\t\t<value>{escape(_attr_text(v))}</value>\n\t\t\t</attribute>\n'
                    for k, v in attrs.items()
                )
                + '\t\t</attributes>\n'
            )
        pose_line = f'\t\t<pose>{escape(_attr_text(pose))}</pose>\n'
        return f'{head}{pose_line}{flags}{_bndbox(cxmin, cymin, cxmax, cymax)}{extra}\t</object>\n'

    def close(self) -> None:
        for handle in self._lists.values():
            handle.close()
        lines = ['# label:color_rgb:parts:actions\n']
        for index, name in enumerate(self.classes.names):
            r, g, b = (index * 67) % 256, (index * 131 + 80) % 256, (index * 197 + 160) % 256
            lines.append(f'{name}:{r},{g},{b}::\n')
        (self.out / 'labelmap.txt').write_text(''.join(lines), encoding='utf-8')
