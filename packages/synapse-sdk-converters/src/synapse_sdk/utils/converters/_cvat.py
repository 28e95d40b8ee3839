"""CVAT for images 1.1: ``annotations.xml`` + ``images/`` (splits as each image's ``subset``).

Shapes: ``box`` (``rotation`` in degrees about the centre; DM keeps radians), ``polygon``,
``polyline``, ``points`` (one DM keypoint per point), ``skeleton`` (a DM keypoint object; a box with
the same ``group_id`` is its box), ``tag``, ``mask`` (CVAT's RLE over the mask's box). ``occluded``,
``z_order``, ``group_id``, a ``source`` other than ``manual`` and every ``<attribute>`` become DM
attributes. Datumaro-style exports (one ``<subset>.xml`` per split, ``images/<subset>/``) read too.

The XML is streamed with expat, one ``<image>`` at a time; a DTD (and so any entity) is refused.
"""

from __future__ import annotations

import math
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat
from xml.sax.saxutils import escape, quoteattr

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._layout import place_image, safe_join, safe_name
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Mask,
    Point,
    Polygon,
    Polyline,
    Tag,
)
from synapse_sdk.utils.converters._naming import attr_text, attr_value, number_text, split_name
from synapse_sdk.utils.converters._rle import run_lengths
from synapse_sdk.utils.converters._rotation import ROTATION, rotation_of
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError

ANNOTATIONS = 'annotations.xml'
SHAPES = frozenset({'box', 'polygon', 'polyline', 'points', 'skeleton', 'tag', 'mask', 'ellipse', 'cuboid'})
_FLAG_ATTRS = ('occluded', 'z_order', 'group_id', 'source')
_CHUNK = 1 << 16


@dataclass
class _Element:
    tag: str
    attrs: dict[str, str]
    line: int
    attributes: dict[str, str] = field(default_factory=dict)
    children: list[_Element] = field(default_factory=list)


class _Stream:
    """Expat events -> finished ``<image>`` elements, and the label names of ``<meta>``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.parser = expat.ParserCreate()
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._doctype
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text
        self.parser.buffer_text = True
        self.stack: list[str] = []
        self.done: list[_Element] = []
        self.labels: list[str] = []
        self._label: dict[str, str] | None = None
        self._image: _Element | None = None
        self._shape: list[_Element] = []
        self._attribute: tuple[_Element, str] | None = None
        self._text_parts: list[str] | None = None  # collecting text only inside <attribute>, <name>, <parent>
        self.root_seen = False

    def _doctype(self, *args: Any) -> None:
        raise DatasetFormatError('XML with a DTD or entities is refused', file=self.path, line=self._line())

    def _line(self) -> int:
        return int(self.parser.CurrentLineNumber)

    def _start(self, tag: str, attrs: dict[str, str]) -> None:
        depth = len(self.stack)
        self.stack.append(tag)
        if depth == 0:
            if tag != 'annotations':
                raise DatasetFormatError(f'root element is <{tag}>, expected <annotations>', file=self.path)
            self.root_seen = True
            return
        if self._image is not None:
            if tag == 'attribute' and self._shape:
                self._attribute = (self._shape[-1], attrs.get('name', ''))
                self._text_parts = []
            elif tag in SHAPES or (tag == 'points' and self._shape):
                element = _Element(tag, attrs, self._line())
                if self._shape:
                    self._shape[-1].children.append(element)
                else:
                    self._image.children.append(element)
                self._shape.append(element)
            return
        if depth == 1 and tag == 'image':
            self._image = _Element(tag, attrs, self._line())
        elif tag == 'label' and self.stack[-2] == 'labels':
            self._label = {}
        elif self._label is not None and tag in ('name', 'parent') and self.stack[-2] == 'label':
            self._text_parts = []

    def _text(self, text: str) -> None:
        if self._text_parts is not None:
            self._text_parts.append(text)

    def _end(self, tag: str) -> None:
        self.stack.pop()
        if self._image is not None:
            if tag == 'attribute' and self._attribute is not None:
                shape, name = self._attribute
                shape.attributes[name] = ''.join(self._text_parts or ()).strip()
                self._attribute = None
                self._text_parts = None
            elif self._shape and self._shape[-1].tag == tag:
                self._shape.pop()
            elif tag == 'image':
                self.done.append(self._image)
                self._image = None
            return
        if self._label is not None:
            if tag in ('name', 'parent') and self.stack and self.stack[-1] == 'label':
                self._label[tag] = ''.join(self._text_parts or ()).strip()
                self._text_parts = None
            elif tag == 'label':
                if self._label.get('name') and not self._label.get('parent'):
                    self.labels.append(self._label['name'])
                self._label = None

    def images(self) -> Iterator[_Element]:
        try:
            with open(self.path, 'rb') as handle:
                while True:
                    block = handle.read(_CHUNK)
                    self.parser.Parse(block, not block)
                    yield from self.done
                    self.done.clear()
                    if not block:
                        break
        except expat.ExpatError as error:
            raise DatasetFormatError(f'invalid XML: {error}', file=self.path, line=error.lineno) from None
        except LookupError as error:  # <?xml encoding="..."?> names an unknown codec
            raise DatasetFormatError(f'invalid XML: {error}', file=self.path) from None
        except OSError as error:
            raise DatasetFormatError(f'cannot read annotation file ({error.strerror})', file=self.path) from None
        if not self.root_seen:
            raise DatasetFormatError('empty XML document', file=self.path)


def _floats(text: str, what: str, path: Path, line: int) -> list[tuple[float, float]]:
    points = []
    for pair in text.replace(' ', '').split(';'):
        if not pair:
            continue
        x, sep, y = pair.partition(',')
        try:
            px, py = float(x), float(y)
        except ValueError:
            raise DatasetFormatError(f'{what} points must be "x,y;x,y;..."', file=path, line=line) from None
        if not (math.isfinite(px) and math.isfinite(py)) or not sep:
            raise DatasetFormatError(f'{what} points must be finite "x,y" pairs', file=path, line=line)
        points.append((px, py))
    return points


def _number(element: _Element, key: str, path: Path, default: float | None = None) -> float:
    text = element.attrs.get(key)
    if text is None and default is not None:
        return default
    try:
        value = float(text or 'nan')
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise DatasetFormatError(f'<{element.tag}> needs a finite number in {key!r}', file=path, line=element.line)
    return value


def _attrs(element: _Element) -> dict[str, Any]:
    attrs: dict[str, Any] = {}
    if element.attrs.get('occluded', '0') not in ('0', ''):
        attrs['occluded'] = True
    for key in ('z_order', 'group_id'):
        text = element.attrs.get(key, '0').strip()
        if text not in ('0', ''):
            attrs[key] = int(text) if text.lstrip('-').isdigit() else text
    source = element.attrs.get('source', 'manual')
    if source not in ('manual', ''):
        attrs['source'] = source
    for name, text in element.attributes.items():
        attrs[name] = attr_value(text)
    return attrs


def decode_rle(counts: list[int], left: int, top: int, width: int, image_width: int) -> list[int]:
    """CVAT mask RLE (alternating runs over the mask's box, background first) -> DM pixel indices."""
    pixels: list[int] = []
    position, value = 0, 0
    for count in counts:
        if value:
            for i in range(position, position + count):
                pixels.append((top + i // width) * image_width + left + i % width)
        position += count
        value ^= 1
    return pixels


def encode_rle(pixels: list[int], image_width: int) -> tuple[list[int], int, int, int, int]:
    """DM pixel indices -> ``(counts, left, top, width, height)`` of CVAT's mask RLE."""
    xs = [p % image_width for p in pixels]
    ys = [p // image_width for p in pixels]
    left, top = min(xs), min(ys)
    width, height = max(xs) - left + 1, max(ys) - top + 1
    inside = sorted({(y - top) * width + (x - left) for x, y in zip(xs, ys, strict=True)})
    return run_lengths(inside, width * height), left, top, width, height


class CVATReader(Reader):
    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self.files = self._files()
        self._labels: list[str] | None = None

    def _files(self) -> list[tuple[str, Path]]:
        """``[(split from the file name, xml)]``: ``annotations.xml``, or Datumaro's ``<subset>.xml`` files."""
        if self.root.is_file() and self.root.suffix.lower() == '.xml':
            self.base = self.root.parent
            return [('', self.root)]
        self.base = self.root
        if not self.root.is_dir():
            raise DatasetLayoutError('dataset folder does not exist', file=self.root)
        if (self.root / ANNOTATIONS).is_file():
            return [('', self.root / ANNOTATIONS)]
        found = sorted(n for n in os.listdir(self.root) if n.lower().endswith('.xml'))
        if not found:
            raise DatasetLayoutError(f'no {ANNOTATIONS} (nor <subset>.xml) in the dataset folder', file=self.root)
        return [(split_name(name[:-4]), self.root / name) for name in found]

    def class_names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        if self._labels is None:
            labels: list[str] = []
            for _, path in self.files:  # meta comes first: stop at the first image
                stream = _Stream(path)
                for _ in stream.images():
                    break
                labels += [n for n in stream.labels if n not in labels]
            self._labels = labels
        return self._labels or None

    def count(self) -> int | None:
        return None

    def items(self) -> Iterator[Item]:
        for file_split, path in self.files:
            for element in _Stream(path).images():
                name = element.attrs.get('name', '')
                try:
                    yield self._item(element, file_split, path)
                except ConverterError as error:
                    self.problem(error, item=name or f'image@{element.line}')

    def _image(self, name: str, split: str, path: Path) -> Path | None:
        for folder in (self.base / 'images', self.base / 'images' / split if split else None, self.base):
            if folder is None:
                continue
            candidate = safe_join(folder, name, file=path)
            if candidate.is_file():
                return candidate
        return None

    def _item(self, element: _Element, file_split: str, path: Path) -> Item:
        name = element.attrs.get('name', '').strip()
        if not name:
            raise DatasetFormatError('<image> has no name', file=path, line=element.line)
        split = split_name(element.attrs.get('subset')) or file_split
        image = self._image(name, split, path)
        stem = name.replace('\\', '/').rsplit('/', 1)[-1].rpartition('.')[0] or name
        width = int(_number(element, 'width', path, 0)) or None
        height = int(_number(element, 'height', path, 0)) or None
        item = Item(stem, split, image, width, height, source=f'{path}:{element.line}')
        if image is None:
            item.image_name = safe_name(name, file=path)
        boxes: dict[Any, Box] = {}
        for shape in element.children:
            try:
                ann = self._shape(shape, path, item)
            except DatasetFormatError as error:
                self.problem(error, item=stem)
                continue
            if isinstance(ann, list):
                item.annotations.extend(ann)
            elif ann is not None:
                item.annotations.append(ann)
                if isinstance(ann, Box) and 'group_id' in ann.attrs:
                    boxes[ann.attrs['group_id']] = ann
        if boxes:  # a skeleton and a box sharing a group_id are one keypoint object with its box
            for ann in item.annotations:
                if isinstance(ann, Keypoints) and ann.box is None and ann.attrs.get('group_id') in boxes:
                    box = boxes.pop(ann.attrs['group_id'])
                    if box.label == ann.label and ROTATION not in box.attrs:
                        ann.box = (box.x, box.y, box.w, box.h)
                        ann.box_id = box.id
                        del ann.attrs['group_id']
                        item.annotations.remove(box)
                    else:
                        boxes[box.attrs['group_id']] = box
        return item

    def _shape(self, shape: _Element, path: Path, item: Item) -> Annotation | list[Annotation] | None:
        label = shape.attrs.get('label', '')
        attrs = _attrs(shape)
        tag = shape.tag
        if tag == 'box':
            x0, y0 = _number(shape, 'xtl', path), _number(shape, 'ytl', path)
            x1, y1 = _number(shape, 'xbr', path), _number(shape, 'ybr', path)
            if x1 < x0 or y1 < y0:
                raise DatasetFormatError('<box> needs xtl <= xbr and ytl <= ybr', file=path, line=shape.line)
            rotation = _number(shape, 'rotation', path, 0.0)
            if rotation:
                attrs[ROTATION] = round(math.radians(math.remainder(rotation, 360.0)), 9)
            return Box(label, x0, y0, x1 - x0, y1 - y0, attrs)
        if tag in ('polygon', 'polyline'):
            points = _floats(shape.attrs.get('points', ''), tag, path, shape.line)
            return Polygon(label, points, attrs) if tag == 'polygon' else Polyline(label, points, attrs)
        if tag == 'points':
            points = _floats(shape.attrs.get('points', ''), tag, path, shape.line)
            if len(points) > 1:
                self.report.changed(
                    f'a <points> shape with {len(points)} points became {len(points)} DM keypoints',
                    item=item.name,
                    file=str(path),
                    line=shape.line,
                )
            return [Point(label, x, y, dict(attrs)) for x, y in points]
        if tag == 'tag':
            return Tag(label, attrs)
        if tag == 'skeleton':
            keypoints = []
            for child in shape.children:
                pts = _floats(child.attrs.get('points', ''), 'skeleton', path, child.line)
                if len(pts) != 1:
                    raise DatasetFormatError('a skeleton point needs one "x,y"', file=path, line=child.line)
                v = (
                    0
                    if child.attrs.get('outside', '0') not in ('0', '')
                    else 1
                    if child.attrs.get('occluded') == '1'
                    else 2
                )
                kp_attrs = {k: attr_value(t) for k, t in child.attributes.items()}
                keypoints.append(Keypoint(child.attrs.get('label', ''), pts[0][0], pts[0][1], v, kp_attrs))
            return Keypoints(label, keypoints, None, attrs)
        if tag == 'mask':
            try:
                counts = [int(c) for c in shape.attrs.get('rle', '').replace(' ', '').split(',') if c]
            except ValueError:
                raise DatasetFormatError(
                    '<mask> rle must be comma-separated integers', file=path, line=shape.line
                ) from None
            left, top = int(_number(shape, 'left', path)), int(_number(shape, 'top', path))
            width = int(_number(shape, 'width', path))
            height = int(_number(shape, 'height', path))
            if width <= 0 or height <= 0 or any(c < 0 for c in counts) or sum(counts) > width * height:
                raise DatasetFormatError('<mask> rle does not fit its width x height', file=path, line=shape.line)
            image_width = item.width or left + width
            return Mask(label, decode_rle(counts, left, top, width, image_width), attrs)
        self.problem(
            DatasetFormatError(f'<{tag}> shapes are not converted', file=path, line=shape.line), item=item.name
        )
        return None


class CVATWriter(Writer):
    """Writes the images to a body file as they come, then ``annotations.xml`` = meta + body."""

    holds = frozenset(
        {'bbox', 'rotated_bbox', 'polygon', 'polyline', 'point', 'keypoints', 'mask', 'tag', 'attributes', 'splits'}
    )

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.image_dir = out / 'images'
        self.image_dir.mkdir(parents=True, exist_ok=True)
        self._body_path = out / '.annotations.body'
        self._body: IO[str] = open(self._body_path, 'w', encoding='utf-8')
        self._id = 0
        self._group = 0
        self._splits: list[str] = []
        self._attributes: dict[str, dict[str, None]] = {}
        self._skeletons: dict[str, dict[str, None]] = {}
        self.losses = Losses('CVAT')
        self._names: set[str] = set()

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        file_name = item.output_file_name
        name = f'{item.split}/{file_name}' if item.split else file_name
        if name in self._names:
            self.report.skipped(f'another image is already named {name!r}', item=item.name, file=item.source or None)
            return
        self._names.add(name)
        if item.split and item.split not in self._splits:
            self._splits.append(item.split)
        subset = f' subset={quoteattr(item.split)}' if item.split else ''
        parts = [
            f'  <image id="{self._id}" name={quoteattr(name)} width="{item.width}" height="{item.height}"{subset}>\n'
        ]
        self._id += 1
        for ann in item.annotations:
            shape = self._shape(ann, item)
            if shape:
                parts.append(shape)
        parts.append('  </image>\n')
        self._body.write(''.join(parts))
        if item.image is not None and self.images != 'none':
            target = self.image_dir / name
            target.parent.mkdir(parents=True, exist_ok=True)
            place_image(item.image, target, self.images)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _common(self, label: str, attrs: dict[str, Any], skip: tuple[str, ...] = ()) -> tuple[str, str]:
        """The shape's XML attributes (label, source, occluded, z_order, group_id) and its ``<attribute>``s."""
        self.classes.id(label)
        attrs = {k: v for k, v in attrs.items() if k not in skip}
        occluded = attrs.pop('occluded', False)
        if occluded not in (True, False, 0, 1):
            attrs['occluded'] = occluded  # not a flag: kept as an attribute
            occluded = False
        head = (
            f'label={quoteattr(label)} source={quoteattr(str(attrs.pop("source", "manual")))} '
            f'occluded="{int(bool(occluded))}"'
        )
        for key in ('z_order', 'group_id'):
            value = attrs.pop(key, None)
            if isinstance(value, int) and not isinstance(value, bool):
                head += f' {key}="{value}"'
            elif value is not None:
                attrs[key] = value
        key_order = self._attributes.setdefault(label, {})
        for key in attrs:
            key_order[str(key)] = None
        body = ''.join(
            f'      <attribute name={quoteattr(str(k))}>{escape(attr_text(v))}</attribute>\n' for k, v in attrs.items()
        )
        return head, body

    def _element(self, tag: str, head: str, body: str) -> str:
        if body:
            return f'    <{tag} {head}>\n{body}    </{tag}>\n'
        return f'    <{tag} {head}>\n    </{tag}>\n'

    def _shape(self, ann: Annotation, item: Item) -> str | None:
        split = item.split
        if isinstance(ann, Box):
            head, body = self._common(ann.label, ann.attrs, (ROTATION,))
            head += (
                f' xtl="{number_text(ann.x)}" ytl="{number_text(ann.y)}" '
                f'xbr="{number_text(ann.x + ann.w)}" ybr="{number_text(ann.y + ann.h)}"'
            )
            rotation = rotation_of(ann)
            if rotation:
                head += f' rotation="{number_text(math.degrees(rotation) % 360.0)}"'
            if 'z_order' not in head:
                head += ' z_order="0"'
            self.counted(split, 'bbox')
            return self._element('box', head, body)
        if isinstance(ann, (Polygon, Polyline)):
            tag = 'polygon' if isinstance(ann, Polygon) else 'polyline'
            head, body = self._common(ann.label, ann.attrs)
            head += ' points="' + ';'.join(f'{number_text(x)},{number_text(y)}' for x, y in ann.points) + '"'
            self.counted(split, tag)
            return self._element(tag, head, body)
        if isinstance(ann, Point):
            head, body = self._common(ann.label, ann.attrs)
            head += f' points="{number_text(ann.x)},{number_text(ann.y)}"'
            self.counted(split, 'point')
            return self._element('points', head, body)
        if isinstance(ann, Tag):
            head, body = self._common(ann.label, ann.attrs)
            self.counted(split, 'tag')
            return self._element('tag', head, body)
        if isinstance(ann, Keypoints):
            return self._skeleton(ann, item)
        if isinstance(ann, Mask):
            if not ann.pixels:
                self.report.skipped('empty mask', item=item.name, file=item.source or None, annotation=ann.id)
                return None
            assert item.width
            counts, left, top, width, height = encode_rle(ann.pixels, item.width)
            head, body = self._common(ann.label, ann.attrs)
            head += f' rle="{", ".join(map(str, counts))}" left="{left}" top="{top}" width="{width}" height="{height}"'
            self.counted(split, 'mask')
            return self._element('mask', head, body)
        self.losses.cannot_hold(ann)
        return None

    def _skeleton(self, ann: Keypoints, item: Item) -> str:
        attrs = dict(ann.attrs)
        box = ''
        if ann.box is not None:
            self._group += 1
            group = attrs.pop('group_id', None)
            if group is not None:
                self.losses.add('group_id of a keypoint object with a box')
            attrs['group_id'] = 100000 + self._group
            x, y, w, h = ann.box
            bhead, bbody = self._common(ann.label, {'group_id': attrs['group_id']})
            box = self._element(
                'box',
                f'{bhead} xtl="{number_text(x)}" ytl="{number_text(y)}" xbr="{number_text(x + w)}" '
                f'ybr="{number_text(y + h)}" z_order="0"',
                bbody,
            )
        head, body = self._common(ann.label, attrs)
        names = self._skeletons.setdefault(ann.label, {})
        points = []
        for p in ann.points:
            names[p.name] = None
            flags = f'outside="{int(p.v == 0)}" occluded="{int(p.v == 1)}"'
            inner = ''.join(
                f'        <attribute name={quoteattr(str(k))}>{escape(attr_text(v))}</attribute>\n'
                for k, v in p.attrs.items()
            )
            points.append(
                f'      <points label={quoteattr(p.name)} {flags} points="{number_text(p.x)},{number_text(p.y)}"'
                + (f'>\n{inner}      </points>\n' if inner else '>\n      </points>\n')
            )
        self.counted(item.split, 'keypoints')
        return box + f'    <skeleton {head}>\n{"".join(points)}{body}    </skeleton>\n'

    def close(self) -> None:
        self._body.close()
        with open(self.out / ANNOTATIONS, 'w', encoding='utf-8') as handle:
            handle.write(self._meta())
            with open(self._body_path, encoding='utf-8') as body:
                shutil.copyfileobj(body, handle)
            handle.write('</annotations>\n')
        self._body_path.unlink()

    def _meta(self) -> str:
        labels = []
        for name in self.classes.names:
            kind = 'skeleton' if name in self._skeletons else 'any'
            attributes = ''.join(
                f'          <attribute>\n            <name>{escape(a)}</name>\n            <mutable>False</mutable>\n'
                '            <input_type>text</input_type>\n            <default_value></default_value>\n'
                '            <values></values>\n          </attribute>\n'
                for a in self._attributes.get(name, {})
            )
            labels.append(
                f'        <label>\n          <name>{escape(name)}</name>\n          <type>{kind}</type>\n'
                f'          <attributes>\n{attributes}          </attributes>\n        </label>\n'
            )
            for point in self._skeletons.get(name, {}):
                labels.append(
                    f'        <label>\n          <name>{escape(point)}</name>\n          <type>points</type>\n'
                    f'          <attributes>\n          </attributes>\n          <parent>{escape(name)}</parent>\n'
                    '        </label>\n'
                )
        # With splits, the meta is a CVAT project's (its <subsets> tell Datumaro and CVAT the splits).
        kind = 'project' if self._splits else 'task'
        subsets = ''.join(f'      <subset>{escape(s)}</subset>\n' for s in self._splits)
        return (
            '<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n'
            f'    <{kind}>\n      <name>synapse-sdk export</name>\n      <size>{self._id}</size>\n'
            '      <mode>annotation</mode>\n      <overlap>0</overlap>\n'
            f'      <labels>\n{"".join(labels)}      </labels>\n'
            + (f'      <subsets>\n{subsets}      </subsets>\n' if subsets else '')
            + f'    </{kind}>\n  </meta>\n'
        )
