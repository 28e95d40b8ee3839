"""COCO: ``annotations.json`` (instances and person_keypoints style) with the images beside it,
per split when categorized.

Written files load in pycocotools: image and annotation ids are unique across the whole dataset and
start at 1; category ids follow one class map, so they are the same in every split.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from synapse_sdk.utils.converters import _coco_stream as coco_stream
from synapse_sdk.utils.converters import _json_chunks as json_chunks
from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._detect import Part, detect_layout
from synapse_sdk.utils.converters._jsonio import dumps, loads
from synapse_sdk.utils.converters._layout import place_image, safe_join
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Mask,
    MultiPolygon,
    Polygon,
    Tag,
)
from synapse_sdk.utils.converters._names import UniqueNames
from synapse_sdk.utils.converters._numbers import all_numbers, bounds, polygon_area, tidy
from synapse_sdk.utils.converters._rle import counts_to_pixels, decode_counts, pixel_bounds, pixels_to_counts
from synapse_sdk.utils.converters.errors import ConverterError, DatasetFormatError, DatasetLayoutError

ANNOTATION_FILE = 'annotations.json'
LAYOUTS = ('flat', 'mscoco')
MSCOCO_SPLITS = {'valid': 'val'}
TAGS_KEY = 'tags'
ATTRS_KEY = 'attributes'

Category = tuple[int, str, list[str], tuple[tuple[int, int], ...]]
"""``(id, name, keypoint names, skeleton as 0-based index pairs)`` of one COCO category."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _skeleton(value: Any, count: int, path: Path, key: str) -> tuple[tuple[int, int], ...]:
    """A category's ``skeleton`` (1-based keypoint index pairs) as 0-based pairs; wrong ones are loud."""
    if value is None or value == []:
        return ()
    pairs = value if isinstance(value, list) else None
    if pairs is None or not all(isinstance(p, list) and len(p) == 2 and all(_is_int(i) for i in p) for p in pairs):
        raise DatasetFormatError('"skeleton" must be a list of [a, b] keypoint numbers', file=path, key=key)
    for a, b in pairs:
        if not (1 <= a <= count and 1 <= b <= count):
            raise DatasetFormatError(
                f'"skeleton" edge [{a}, {b}] names a keypoint outside 1..{count} (the category has {count})',
                file=path,
                key=key,
            )
    return tuple((a - 1, b - 1) for a, b in pairs)


def _stem(file_name: str) -> str:
    """``Path(file_name).stem``; a bare name (nearly every one) without making a ``Path``."""
    if '/' in file_name or file_name.startswith('.') or not file_name:
        return Path(file_name).stem
    dot = file_name.rfind('.')
    return file_name[:dot] if 0 < dot < len(file_name) - 1 else file_name


def _shared_keys(images: list[Any]) -> list[Any]:
    """``images`` with one string object per distinct key (the parser makes new ones for every image)."""
    keys: dict[str, str] = {}
    for index, image in enumerate(images):
        if isinstance(image, dict):
            images[index] = {keys.setdefault(key, key): value for key, value in image.items()}
    return images


class COCOReader(Reader):
    """Reads ``<root>[/<split>]/annotations.json``; ``root`` may also be a COCO JSON file itself."""

    def __init__(self, root: Path, **kwargs: Any) -> None:
        super().__init__(root, **kwargs)
        self._cache: tuple[Path, dict[int, Category]] | None = None
        self._listings: dict[Path, set[str]] = {}
        self._parts: list[Part] | None = None
        self.unique = UniqueNames(self.report)
        self._image_dirs: dict[Path, list[Path]] = {}
        self._source_of: tuple[Path | None, str] = (None, '')

    def _files(self) -> list[tuple[str, Path]]:
        """``[(split, annotation file)]`` of every layout :func:`detect_layout` knows."""
        if not self.root.exists():
            raise DatasetLayoutError('dataset folder does not exist', file=self.root)
        if self._parts is None:
            layout = detect_layout(
                self.root, 'coco', is_categorized=self.is_categorized, images_dir=self.options.get('images_dir')
            )
            self._parts = layout.parts
            for part in layout.parts:
                self._image_dirs[part.annotations] = part.images
        return [(part.split, part.annotations) for part in self._parts]

    def _categories_of(self, path: Path) -> dict[int, Category]:
        if self._cache is not None and self._cache[0] == path:
            return self._cache[1]
        coco_stream.check_object(path)
        value = coco_stream.categories(path)
        if value and not isinstance(value, list):
            raise DatasetFormatError('"categories" must be a list', file=path, key='categories')
        found = self._categories(value or [], path)
        self._cache = (path, found)
        return found

    def class_names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        return [name for _, name, _, _ in self._categories_of(self._files()[0][1]).values()]

    def keypoint_count(self) -> int | None:
        counts = [len(names) for _, _, names, _ in self._categories_of(self._files()[0][1]).values() if names]
        return counts[0] if counts else None

    def count(self) -> int:
        """The number of entries in ``images`` (asked only for a progress total; it reads that list once more)."""
        total = 0
        for _, path in self._files():
            images = coco_stream.top_value(path, 'images')
            total += len(images) if isinstance(images, list) else 0
        return total

    @staticmethod
    def _annotations_list(path: Path) -> None:
        if not coco_stream.list_or_empty(path, 'annotations'):
            raise DatasetFormatError('"annotations" must be a list', file=path, key='annotations')

    def _exists(self, folder: Path, name: str) -> bool:
        """Is ``folder/name`` a file? One directory listing per folder instead of a stat per image."""
        if '/' in name or '\\' in name:
            return (folder / name).is_file()
        listing = self._listings.get(folder)
        if listing is None:
            try:
                listing = {entry.name for entry in os.scandir(folder) if entry.is_file()}
            except OSError:
                listing = set()
            self._listings[folder] = listing
        return name in listing

    @staticmethod
    def _categories(value: list[Any], path: Path) -> dict[int, Category]:
        found: dict[int, Category] = {}
        for index, cat in enumerate(value):
            if not isinstance(cat, dict) or not _is_int(cat.get('id')) or not isinstance(cat.get('name'), str):
                raise DatasetFormatError(
                    'category needs an integer "id" and a string "name"', file=path, key=f'categories[{index}]'
                )
            names: list[Any] = cat['keypoints'] if isinstance(cat.get('keypoints'), list) else []
            skeleton = _skeleton(cat.get('skeleton'), len(names), path, f'categories[{index}].skeleton')
            found[cat['id']] = (cat['id'], cat['name'], [str(n) for n in names], skeleton)
        return dict(sorted(found.items()))

    def items(self) -> Iterator[Item]:
        for split, path in self._files():
            yield from self._items(split, path)

    def _items(self, split: str, path: Path) -> Iterator[Item]:
        """Items in ``images`` order, each as soon as its annotations are all read (see coco_stream)."""
        categories = self._categories_of(path)
        array = coco_stream.annotations_array(path)
        # ``images`` before ``annotations`` (the usual): already parsed with what lies before the array
        before = array.before('images') if array is not None else None
        images = before[0] if before is not None else coco_stream.top_value(path, 'images')
        del before
        if array is not None:
            array.forget_head()
        chunked = self.defer and self.offload is not None
        if chunked:  # the workers start on the file (its scan, the first pieces) while this reads the images
            assert self.offload is not None
            scanning = self.offload(coco_stream.scan, path)
            runs = coco_stream.annotation_runs(path, self.offload, array)
        if images and not isinstance(images, list):
            raise DatasetFormatError('"images" must be a list', file=path, key='images')
        images = _shared_keys(images or [])
        uses: Counter[int] = Counter(
            image['id'] for image in images if isinstance(image, dict) and _is_int(image.get('id'))
        )
        found = scanning.result() if chunked else coco_stream.scan(path)
        if found.item_key:  # ``annotations.item`` would also match {"annotations": {"item": ...}}
            self._annotations_list(path)
        group = coco_stream.Grouping(uses, found.bounds)
        del found
        emit = _Emit(self, split, path, categories, group, images, chunked=chunked)
        try:
            yield from self._runs(path, group, emit, runs) if chunked else self._pairs(path, group, emit, array)
            yield from emit.rest()
        finally:
            group.waiting.close()
        for image_id, indexes in group.orphans():
            for ann_index in indexes:
                self.problem(
                    DatasetFormatError(
                        f'annotation refers to unknown image id {image_id!r}',
                        file=str(path),
                        key=f'annotations[{ann_index}]',
                    )
                )

    def _pairs(
        self, path: Path, group: coco_stream.Grouping, emit: _Emit, array: json_chunks.Array | None
    ) -> Iterator[Item]:
        """Group the annotations, parsed here, into runs of one image; the items they complete."""
        run_id: Any = None
        run: list[tuple[int, Any]] = []
        index = -1
        for batch in coco_stream.annotation_batches(path, array):
            first = index + 1
            for index, ann in enumerate(batch, first):
                image_id = ann.get('image_id') if type(ann) is dict else None
                if image_id == run_id and type(image_id) is int:
                    run.append((index, ann))
                    continue
                if type(image_id) is not int:
                    reason = 'annotation needs an integer "image_id"'
                    self.problem(DatasetFormatError(reason, file=path, key=f'annotations[{index}]'))
                    continue
                if run and group.add(run_id, run):
                    yield from emit.ready()
                run_id, run = image_id, [(index, ann)]
        if run and group.add(run_id, run):
            yield from emit.ready()
        if index < 0:
            self._annotations_list(path)  # nothing read: was there a list at all?

    def _runs(
        self, path: Path, group: coco_stream.Grouping, emit: _Emit, runs: Iterator[tuple[int, list[Any]]]
    ) -> Iterator[Item]:
        """As :meth:`_pairs`, the annotations parsed and grouped on the workers (``workers=N``):
        here only whole runs are joined, in the same order, so the items and the report are the same."""
        run_id: Any = None
        run: list[tuple[int, Sequence[int], Any]] = []
        count = 0
        read = False
        for base, events in runs:
            read = read or bool(events)
            for event in events:
                if type(event) is int:
                    reason = 'annotation needs an integer "image_id"'
                    self.problem(DatasetFormatError(reason, file=path, key=f'annotations[{base + event}]'))
                    continue
                image_id, indexes, data = event
                if image_id == run_id:
                    run.append((base, indexes, data))
                    count += len(indexes)
                    continue
                if run and group.add(run_id, run, count):
                    yield from emit.ready()
                run_id, run, count = image_id, [(base, indexes, data)], len(indexes)
        if run and group.add(run_id, run, count):
            yield from emit.ready()
        if not read:
            self._annotations_list(path)  # nothing read: was there a list at all?

    def _item(self, image: Any, split: str, base: Path, path: Path, where: str) -> Item:
        if not isinstance(image, dict) or not _is_int(image.get('id')) or not isinstance(image.get('file_name'), str):
            raise DatasetFormatError('image needs an integer "id" and a string "file_name"', file=path, key=where)
        file_name: str = image['file_name']
        image_path: Path | None = None
        folders = self._image_dirs.get(path)
        if not folders:
            folders = self._image_dirs[path] = [base, base / 'images']
        for folder in folders:
            if self._exists(folder, file_name):
                image_path = safe_join(folder, file_name, file=path)
                break
        else:
            bare = file_name.replace('\\', '/').rsplit('/', 1)[-1]
            if bare != file_name:  # a folder in file_name the export did not keep: the bare name
                image_path = next((folder / bare for folder in folders if self._exists(folder, bare)), None)
            if image_path is None:
                safe_join(base, file_name, file=path)  # refuses names that leave the dataset folder
        width: int | None = image.get('width')
        height: int | None = image.get('height')
        if not (_is_int(width) and _is_int(height) and width > 0 and height > 0):  # type: ignore[operator]
            width = height = None
        item = Item(_stem(file_name), split, image_path, width, height, source=self._source(path))
        if image_path is None:
            item.image_name = Path(file_name).name
            item.looked_in = tuple(str(folder / file_name) for folder in folders)
        for tag in image.get(TAGS_KEY) or []:
            if isinstance(tag, dict) and isinstance(tag.get('name'), str):
                attrs = tag.get(ATTRS_KEY)
                item.annotations.append(Tag(tag['name'], dict(attrs) if isinstance(attrs, dict) else {}))
        return item

    def _source(self, path: Path) -> str:
        """``str(path)``, made once per annotation file rather than once per image."""
        if self._source_of[0] is not path:
            self._source_of = (path, str(path))
        return self._source_of[1]

    def complete(self, item: Item) -> Item | None:
        categories, anns = item.deferred
        item.deferred = None
        if isinstance(anns, bytes):
            anns = loads(anns)
        elif isinstance(anns, coco_stream.Chunks):
            anns = anns.pairs()
        self.annotate(item, categories, anns)
        return item

    def annotate(self, item: Item, categories: dict[int, Category], anns: Sequence[Sequence[Any]]) -> None:
        """Add the image's COCO annotations (``(index, annotation)`` pairs) to ``item``."""
        path = Path(item.source)
        width, height = item.width or 0, item.height or 0
        for ann_index, ann in anns:
            try:
                item.annotations.extend(self._annotation(ann, categories, width, height, path, ann_index))
            except ConverterError as error:
                self.problem(error, item=item.name)

    def _annotation(
        self,
        ann: dict[str, Any],
        categories: dict[int, Category],
        width: int,
        height: int,
        path: Path,
        index: int,
    ) -> list[Annotation]:
        where = f'annotations[{index}]'
        category_id = ann.get('category_id')
        category = categories.get(category_id) if isinstance(category_id, int) else None
        if category is None:
            raise DatasetFormatError(f'unknown category id {ann.get("category_id")!r}', file=path, key=where)
        _, label, kp_names, skeleton = category
        raw_attrs = ann.get(ATTRS_KEY)
        attrs: dict[str, Any] = dict(raw_attrs) if isinstance(raw_attrs, dict) else {}
        if ann.get('iscrowd') == 1:
            attrs['iscrowd'] = 1
        out: list[Annotation] = []
        bbox = ann.get('bbox')
        box = None
        if bbox is not None:
            if not (isinstance(bbox, list) and len(bbox) == 4 and all_numbers(bbox)):
                raise DatasetFormatError('"bbox" must be [x, y, width, height]', file=path, key=where)
            box = (float(bbox[0]), float(bbox[1]), float(bbox[2]), float(bbox[3]))
        keypoints = ann.get('keypoints')
        if isinstance(keypoints, list) and keypoints:
            if len(keypoints) % 3 or not all_numbers(keypoints):
                raise DatasetFormatError('"keypoints" must be [x, y, v] triplets', file=path, key=where)
            if any(keypoints[i] > 0 for i in range(2, len(keypoints), 3)):
                points = []
                for i in range(0, len(keypoints), 3):
                    name = kp_names[i // 3] if i // 3 < len(kp_names) else f'kp_{i // 3}'
                    v = int(keypoints[i + 2])
                    points.append(
                        Keypoint(name, float(keypoints[i]), float(keypoints[i + 1]), v if v in (0, 1, 2) else 2)
                    )
                out.append(Keypoints(label, points, box, dict(attrs), skeleton=skeleton))
                box = None
        segmentation = ann.get('segmentation')
        if isinstance(segmentation, list) and segmentation:
            rings = []
            for ring in segmentation:
                if not (isinstance(ring, list) and len(ring) % 2 == 0 and all_numbers(ring)):
                    raise DatasetFormatError('polygon must be a flat list of x, y numbers', file=path, key=where)
                if len(ring) < 6:
                    self.report.skipped('polygon with fewer than 3 points', file=str(path), annotation=where)
                    continue
                rings.append([(float(ring[i]), float(ring[i + 1])) for i in range(0, len(ring), 2)])
            if len(rings) > 1:  # one object in several parts: it stays one object
                out.append(MultiPolygon(label, rings, dict(attrs)))
            elif rings:
                out.append(Polygon(label, rings[0], dict(attrs)))
            if rings:
                box = None
        elif isinstance(segmentation, dict):
            out.append(self._mask(segmentation, label, attrs, width, height, path, where))
            box = None
        if box is not None:
            out.append(Box(label, *box, attrs=attrs))
        return out

    @staticmethod
    def _mask(
        segmentation: dict[str, Any], label: str, attrs: dict[str, Any], width: int, height: int, path: Path, where: str
    ) -> Mask:
        size, counts = segmentation.get('size'), segmentation.get('counts')
        if not (isinstance(size, list) and len(size) == 2 and all(_is_int(v) and v > 0 for v in size)):
            raise DatasetFormatError('RLE needs "size": [height, width]', file=path, key=where)
        h, w = size
        try:
            if isinstance(counts, str):
                counts = decode_counts(counts)
            if not (isinstance(counts, list) and all(_is_int(v) for v in counts)):
                raise ValueError('RLE "counts" must be a list of integers or a compressed string')
            pixels = counts_to_pixels(counts, h, w)
        except ValueError as error:
            raise DatasetFormatError(str(error), file=path, key=where) from None
        if width and (w, h) != (width, height):
            raise DatasetFormatError(
                f'RLE size {w}x{h} differs from the image size {width}x{height}', file=path, key=where
            )
        return Mask(label, pixels, dict(attrs))


class _Emit:
    """Turns ``images`` entries into items, in order, as the grouping lets them go."""

    def __init__(
        self,
        reader: COCOReader,
        split: str,
        path: Path,
        categories: dict[int, Category],
        group: coco_stream.Grouping,
        images: list[Any],
        *,
        chunked: bool = False,
    ) -> None:
        self.reader = reader
        self.chunked = chunked  # the annotations come as chunk runs (:meth:`COCOReader._runs`)
        self.split = split
        self.path = path
        self.base = path.parent
        self.categories = categories
        self.group = group
        self.images = images
        self.position = 0
        self.seen = reader.unique.seen(split)  # item names handed out in this split
        self.files: set[str] = set()

    def ready(self) -> Iterator[Item]:
        """Every next image whose annotations are all read."""
        images = self.images
        while self.position < len(images) and self.group.ready(images[self.position]):
            item = self._one()
            if item is not None:
                yield item

    def rest(self) -> Iterator[Item]:
        """The images left once every annotation is read."""
        while self.position < len(self.images):
            item = self._one()
            if item is not None:
                yield item

    def _one(self) -> Item | None:
        """The item of the next image with its annotations, or ``None`` (reported) when unusable."""
        position = self.position
        image, self.images[position] = self.images[position], None  # emitted: no need to keep it
        self.position += 1
        reader, path, group = self.reader, self.path, self.group
        where = f'images[{position}]'
        image_id: Any = image.get('id') if isinstance(image, dict) else None
        anns = group.take(image_id) if _is_int(image_id) else []
        try:
            item = reader._item(image, self.split, self.base, path, where)
        except ConverterError as error:
            reader.problem(error)
            group.lost(image_id, anns)
            return None
        file_name = image['file_name']
        if file_name in self.files:
            reader.problem(DatasetFormatError(f'two images share the file name {file_name!r}', file=path, key=where))
            group.lost(image_id, anns)
            return None
        self.files.add(file_name)
        if item.name in self.seen:  # the same stem in another folder: both kept, this one renamed
            item.name = reader.unique.name(self.split, item.name, file_name, str(item.image or path))
        else:
            self.seen.add(item.name)
        group.produced(image_id)
        if self.chunked:  # already JSON, as the workers grouped them
            item.deferred = (self.categories, coco_stream.Chunks(anns))
            return item
        if reader.defer:  # a worker process reads the annotations (Reader.complete)
            item.deferred = (self.categories, coco_stream.encoded(anns))
            return item
        reader.annotate(item, self.categories, anns)
        return item


class _Split:
    """One split's ``images`` and ``annotations`` arrays, spooled to temporary files in big JSON chunks."""

    BATCH = 2048  # records held before one ``dumps`` call writes them

    def __init__(self, folder: Path, json_path: Path) -> None:
        self.folder = folder  # where its images go
        self.json_path = json_path
        self.images: IO[bytes] = tempfile.TemporaryFile()
        self.annotations: IO[bytes] = tempfile.TemporaryFile()
        self.has_images = False
        self.has_annotations = False
        self.pending_images: list[dict[str, Any]] = []
        self.pending_annotations: list[dict[str, Any]] = []

    def flush(self) -> None:
        if self.pending_images:
            self.images.write((b',' if self.has_images else b'') + dumps(self.pending_images)[1:-1])
            self.has_images = True
            self.pending_images.clear()
        if self.pending_annotations:
            self.annotations.write((b',' if self.has_annotations else b'') + dumps(self.pending_annotations)[1:-1])
            self.has_annotations = True
            self.pending_annotations.clear()


class COCOWriter(Writer):
    holds = frozenset({'bbox', 'polygon', 'keypoints', 'mask', 'tag', 'attributes', 'splits'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self._splits: dict[str, _Split] = {}
        self._image_id = 0
        self._ann_id = 0
        self._keypoint_names: dict[int, list[str]] = {}
        self._skeletons: dict[int, tuple[tuple[int, int], ...]] = {}
        self._category_ids: dict[str, int] = {}
        self.losses = Losses('COCO')
        self.info: dict[str, Any] = dict(self.options.get('info') or {'description': 'Converted by synapse-sdk'})
        self.licenses: list[Any] = list(self.options.get('licenses') or [])
        self.layout = str(self.options.get('coco_layout') or 'flat')
        if self.layout not in LAYOUTS:
            raise ValueError(f'COCO layout must be one of {", ".join(LAYOUTS)}, not {self.layout!r}')

    def _split(self, name: str) -> _Split:
        """Flat: ``[<split>/]annotations.json`` with the images beside it. ``coco_layout='mscoco'``:
        ``annotations/instances_<split>.json`` and ``images/<split>/`` (what Datumaro, Detectron2
        and MMDetection look for; ``default`` when the dataset has no splits)."""
        if self.layout == 'mscoco':
            subset = MSCOCO_SPLITS.get(name, name) or 'default'
            folder, json_path = self.out / 'images' / subset, self.out / 'annotations' / f'instances_{subset}.json'
        else:
            folder = self.out / name if name else self.out
            json_path = folder / ANNOTATION_FILE
        folder.mkdir(parents=True, exist_ok=True)
        json_path.parent.mkdir(parents=True, exist_ok=True)
        return _Split(folder, json_path)

    def _category_id(self, label: str) -> int:
        found = self._category_ids.get(label)
        if found is None:
            found = self._category_ids[label] = self.classes.id(label) + 1
        return found

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.width and item.height
        split = self._splits.get(item.split)
        if split is None:
            split = self._splits[item.split] = self._split(item.split)
        self._image_id += 1
        image_id = self._image_id
        file_name = item.output_file_name
        record: dict[str, Any] = {'id': image_id, 'file_name': file_name, 'width': item.width, 'height': item.height}
        tags = [{'name': a.label, ATTRS_KEY: a.attrs} for a in item.annotations if type(a) is Tag]
        if tags:
            record[TAGS_KEY] = tags
            self.summary.count(item.split or 'all', 'tag', len(tags))
        self._annotations(item, image_id, split.pending_annotations)
        split.pending_images.append(record)
        if len(split.pending_annotations) >= split.BATCH or len(split.pending_images) >= split.BATCH:
            split.flush()
        if item.image is not None and self.images != 'none':
            place_image(item.image, split.folder / file_name, self.images)
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def _annotations(self, item: Item, image_id: int, records: list[dict[str, Any]]) -> None:
        """Append the item's annotation records; boxes and polygons, nearly all of a dataset, inline."""
        width, height = item.width or 0, item.height or 0
        category_ids = self._category_ids
        kinds: dict[str, int] | None = None
        for ann in item.annotations:
            if isinstance(ann, Box):
                x, y, w, h = ann.x, ann.y, ann.w, ann.h
                x1, y1 = x + w, y + h
                if not (0 <= x < x1 <= width and 0 <= y < y1 <= height):
                    clipped = self.clip_box(ann, item, width, height)
                    if clipped is None:
                        continue
                    x, y, x1, y1 = clipped
                    w, h = x1 - x, y1 - y
                bbox: Any = [x, y, w, h]
                area = w * h
                segmentation: Any = []
                name = 'bbox'
            elif isinstance(ann, Polygon):
                points = ann.points
                if len(points) < 3:
                    self.report.skipped(
                        'polygon with fewer than 3 points', item=item.name, file=item.source or None, annotation=ann.id
                    )
                    continue
                bbox = list(bounds(points))
                area = polygon_area(points)
                segmentation = [[v for point in points for v in point]]
                name = 'polygon'
            elif isinstance(ann, MultiPolygon):
                parts = [part for part in ann.parts if len(part) >= 3]
                if len(parts) < len(ann.parts):
                    self.report.skipped(
                        'polygon part with fewer than 3 points',
                        item=item.name,
                        file=item.source or None,
                        annotation=ann.id,
                    )
                if not parts:
                    continue
                bbox = list(bounds([point for part in parts for point in part]))
                area = sum(polygon_area(part) for part in parts)
                segmentation = [[v for point in part for v in point] for part in parts]
                name = 'polygon'
            elif isinstance(ann, Tag):
                continue
            else:
                general = self._annotation(ann, item, image_id)  # counts its own kind
                if general is not None:
                    records.append(general)
                continue
            label = ann.label
            category_id = category_ids.get(label) or self._category_id(label)
            attrs = ann.attrs
            self._ann_id += 1
            record: dict[str, Any] = {
                'id': self._ann_id,
                'image_id': image_id,
                'category_id': category_id,
                'bbox': bbox,  # full precision: nothing is lost
                'area': round(area, 3),
                'iscrowd': 0,
                'segmentation': segmentation,
            }
            if attrs:
                extra = dict(attrs)
                record['iscrowd'] = 1 if extra.pop('iscrowd', 0) in (1, True, '1') else 0
                if extra:
                    record[ATTRS_KEY] = extra
            records.append(record)
            if kinds is None:
                kinds = self.summary.kinds(item.split or 'all')
            kinds[name] = kinds.get(name, 0) + 1

    def _annotation(self, ann: Annotation, item: Item, image_id: int) -> dict[str, Any] | None:
        width, height = item.width or 0, item.height or 0
        if isinstance(ann, Keypoints):
            return self._keypoints(ann, item, image_id)
        if isinstance(ann, Mask):
            if not ann.pixels:
                self.report.skipped('empty mask', item=item.name, file=item.source or None, annotation=ann.id)
                return None
            rle = {'size': [height, width], 'counts': pixels_to_counts(ann.pixels, height, width)}
            box = pixel_bounds(ann.pixels, width)
            return self._record(ann.label, ann.attrs, image_id, box, float(len(ann.pixels)), rle, item.split, 'mask')
        self.losses.cannot_hold(ann)
        return None

    def _keypoints(self, ann: Keypoints, item: Item, image_id: int) -> dict[str, Any]:
        cid = self.classes.id(ann.label)
        names = [p.name for p in ann.points]
        known = self._keypoint_names.setdefault(cid, names)
        if ann.skeleton:
            self._skeletons.setdefault(cid, ann.skeleton)
        if known != names:
            self.report.changed(
                f'keypoint names {names} differ from category {ann.label!r} ({known}); written in category order',
                item=item.name,
                file=item.source or None,
                annotation=ann.id,
            )
        flat: list[float | int] = []
        visible = 0
        for p in ann.points:
            flat += [tidy(p.x, 3), tidy(p.y, 3), p.v]
            visible += p.v > 0
        seen = [(p.x, p.y) for p in ann.points if p.v > 0]
        box = ann.box or (bounds(seen) if seen else (0.0, 0.0, 0.0, 0.0))
        record = self._record(ann.label, ann.attrs, image_id, box, box[2] * box[3], [], item.split, 'keypoints')
        record['keypoints'] = flat
        record['num_keypoints'] = visible
        return record

    def _record(
        self,
        label: str,
        attrs: dict[str, Any],
        image_id: int,
        box: tuple[float, float, float, float],
        area: float,
        segmentation: Any,
        split: str,
        kind: str,
    ) -> dict[str, Any]:
        self._ann_id += 1
        extra: dict[str, Any] = {}
        iscrowd = 0
        if attrs:
            extra = dict(attrs)
            iscrowd = 1 if extra.pop('iscrowd', 0) in (1, True, '1') else 0
        record: dict[str, Any] = {
            'id': self._ann_id,
            'image_id': image_id,
            'category_id': self._category_id(label),
            'bbox': list(box),  # full precision: nothing is lost
            'area': round(area, 3),
            'iscrowd': iscrowd,
            'segmentation': segmentation,
        }
        if extra:
            record[ATTRS_KEY] = extra
        self.counted(split, kind)
        return record

    def close(self) -> None:
        categories = []
        for index, name in enumerate(self.classes.names):
            category: dict[str, Any] = {'id': index + 1, 'name': name, 'supercategory': ''}
            if index in self._keypoint_names:
                category['keypoints'] = self._keypoint_names[index]
                category['skeleton'] = [[a + 1, b + 1] for a, b in self._skeletons.get(index, ())]
            categories.append(category)
        tail = b'],"categories":' + dumps(categories) + b'}'
        head = b'{"info":' + dumps(self.info) + b',"licenses":' + dumps(self.licenses) + b',"images":['
        if not self._splits:
            empty = self._split('')
            empty.images.close()
            empty.annotations.close()
            empty.json_path.write_bytes(head + b'],"annotations":[' + tail)
        for split in self._splits.values():
            split.flush()
            with open(split.json_path, 'wb') as handle:
                handle.write(head)
                split.images.seek(0)
                shutil.copyfileobj(split.images, handle, 1 << 20)
                handle.write(b'],"annotations":[')
                split.annotations.seek(0)
                shutil.copyfileobj(split.annotations, handle, 1 << 20)
                handle.write(tail)
            split.images.close()
            split.annotations.close()
