"""The contract every dataset format passes, shipped so third-party formats run it too.

Like fsspec's ``tests/abstract``: subclass :class:`FormatContract` in a test module, set
``format`` to the registered name, and pytest runs, for that format:

- the DM v2 round trip of everything its writer declares it ``holds`` (equal within ``tolerance``);
- the loss report: a DM dataset with every kind converts, and whatever does not come back is in
  the report for that image (never lost silently);
- strict mode: a missing image is a report entry, and a :class:`StrictModeError` with ``strict=True``;
- fuzzing the reader (hypothesis) on damaged copies of the format's own output: it yields items or
  raises a :class:`ConverterError`, nothing else;
- memory: the reader's peak (tracemalloc) does not grow with the number of images beyond
  ``memory_per_image`` bytes each (an index of names).

Needs pytest, Pillow and (for the fuzzing) hypothesis, which a format's tests have anyway.
"""

from __future__ import annotations

import gc
import math
import os
import re
import shutil
import tempfile
import tracemalloc
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from synapse_sdk.utils.converters._base import ClassMap
from synapse_sdk.utils.converters._converter import get_converter
from synapse_sdk.utils.converters._dm_io import DMReader, DMV2Writer
from synapse_sdk.utils.converters._formats import READERS, WRITERS, dm_version
from synapse_sdk.utils.converters._model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Mask,
    Other,
    Point,
    Polygon,
    Polyline,
    Tag,
)
from synapse_sdk.utils.converters._report import ConversionSummary, Report
from synapse_sdk.utils.converters._support import writer_holds
from synapse_sdk.utils.converters.errors import ConverterError, StrictModeError

SIZE = (96, 72)
Shape = tuple[Any, ...]


def sample_annotations(holds: frozenset[str] | None, index: int = 0) -> list[Annotation]:
    """One image's annotations: every kind (``holds=None``), or only what ``holds`` names."""
    every = holds is None
    keep = holds or frozenset()
    attrs = every or 'attributes' in keep
    shift = float(index % 5)
    out: list[Annotation] = []
    if every or 'bbox' in keep:
        out.append(Box('car', 10 + shift, 5, 20, 10, {'color': 'red'} if attrs else {}))
        out.append(Box('person', 30.5, 12.25, 8, 16))
    if every or 'rotated_bbox' in keep:
        out.append(Box('truck', 40, 20, 30, 16, {'rotation': 0.5}))
    if every or 'polygon' in keep:
        points = [(0.0, 40.0), (40.0, 40.0), (40.0, 60.0), (0.0 + shift, 60.0)]
        out.append(Polygon('road', points, {'surface': 'asphalt'} if attrs else {}))
    if every or 'polyline' in keep:
        out.append(Polyline('lane', [(1.0, 2.0), (30.0, 35.0), (50.0, 20.0)]))
    if every or 'point' in keep:
        out.append(Point('marker', 12, 30 + shift))
    if every or 'keypoints' in keep:
        kps = [Keypoint('head', 70, 15, 2), Keypoint('hand', 62, 30, 1)]
        out.append(Keypoints('pedestrian', kps, (60.0, 10.0, 20.0, 40.0)))
    if every or 'mask' in keep:
        out.append(Mask('sky', [0, 1, 2, SIZE[0], SIZE[0] + 1, SIZE[0] + 2]))
    if every or 'tag' in keep:
        out.append(Tag('outdoor' if index % 2 == 0 else 'indoor'))
    return out


def write_image(path: Path, size: tuple[int, int] = SIZE) -> None:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (90, 120, 150)).save(path, 'PNG')


def write_dm_dataset(root: Path, items: list[Item]) -> Path:
    """A DM v2 dataset of ``items`` (their images must exist), through the DM writer."""
    summary = ConversionSummary('items', 'dm_v2')
    writer = DMV2Writer(root, report=Report(strict=True), classes=ClassMap(), summary=summary)
    for item in items:
        writer.write(item)
    writer.close()
    return root


def sample_items(folder: Path, holds: frozenset[str] | None, *, splits: bool, count: int = 3) -> list[Item]:
    names = [('train', 'img_0'), ('train', 'img_1'), ('valid', 'img_2'), ('test', 'img_3')][:count]
    items = []
    for index, (split, name) in enumerate(names):
        image = folder / f'{name}.png'
        write_image(image)
        anns = sample_annotations(holds, index)
        items.append(Item(name, split if splits else '', image, SIZE[0], SIZE[1], anns))
    return items


def _number(value: float, digits: int) -> float:
    rounded = round(value, digits)
    return 0.0 if rounded == 0 else rounded


def shape_of(ann: Annotation, digits: int = 2) -> Shape:
    """An annotation as a comparable tuple (numbers rounded to ``digits``)."""

    def attrs(values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            sorted((k, _number(v, 3) if isinstance(v, float) else v) for k, v in values.items() if v is not None)
        )

    if isinstance(ann, Box):
        return ('bbox', ann.label, *(_number(v, digits) for v in (ann.x, ann.y, ann.w, ann.h)), attrs(ann.attrs))
    if isinstance(ann, (Polygon, Polyline)):
        points = tuple((_number(x, digits), _number(y, digits)) for x, y in ann.points)
        return (type(ann).__name__.lower(), ann.label, points, attrs(ann.attrs))
    if isinstance(ann, Point):
        return ('point', ann.label, _number(ann.x, digits), _number(ann.y, digits), attrs(ann.attrs))
    if isinstance(ann, Keypoints):
        box = None if ann.box is None else tuple(_number(v, digits) for v in ann.box)
        named = tuple((p.name, _number(p.x, digits), _number(p.y, digits), p.v) for p in ann.points)
        return ('keypoints', ann.label, box, named)
    if isinstance(ann, Mask):
        return ('mask', ann.label, tuple(sorted(ann.pixels)))
    if isinstance(ann, Tag):
        return ('tag', ann.label, attrs(ann.attrs))
    if isinstance(ann, Other):
        return ('other', ann.tool)
    return (type(ann).__name__.lower(), repr(ann))  # a kind added later: compared as written


def dm_shapes(root: Path, *, categorized: bool) -> dict[str, list[Shape]]:
    reader = DMReader(root, is_categorized=categorized, report=Report(strict=True), dm_version='v2')
    return {
        f'{item.split}/{item.name}': sorted((shape_of(a) for a in item.annotations), key=repr)
        for item in reader.items()
    }


def _read_all(fmt: str, root: Path, *, categorized: bool, strict: bool) -> int:
    reader = READERS.load(fmt)(root, is_categorized=categorized, report=Report(strict=strict))
    reader.class_names()
    return sum(1 for _ in reader.items())


_NUMBER = re.compile(rb'-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?')
_ODD_VALUES = [b'nan', b'-1', b'1e400', b'"x"', b'null', b'[]', b'{}', b'-0', b'99999999999999999999', b'', b'0']


class FormatContract:
    """Subclass as ``class TestMyFormat(FormatContract): format = 'myfmt'``."""

    format: ClassVar[str]
    #: Coordinates must come back within this many pixels.
    tolerance: ClassVar[float] = 0.01
    #: What the reader may keep per image (an index of file names) before the memory check fails.
    memory_per_image: ClassVar[int] = 2048
    fuzz_examples: ClassVar[int] = int(os.environ.get('FUZZ_EXAMPLES', '40'))
    #: Options for conversions into the format (e.g. ``{'task': 'detect'}`` for YOLO).
    write_options: ClassVar[dict[str, Any]] = {}
    #: What the sample holds, when the writer cannot hold all it declares in one dataset at once
    #: (YOLO writes one task per dataset); default: everything the writer declares.
    sample_holds: ClassVar[frozenset[str] | None] = None

    # helpers -----------------------------------------------------------------------------------

    @property
    def holds(self) -> frozenset[str]:
        if self.format not in WRITERS or self.format not in READERS:
            pytest.skip(f'{self.format!r} needs a reader and a writer for the contract')
        return self.sample_holds if self.sample_holds is not None else writer_holds(self.format)

    @property
    def splits(self) -> bool:
        return 'splits' in self.holds

    def convert(self, source: str, target: str, src: Path, dst: Path, **options: Any) -> ConversionSummary:
        if target == self.format:
            options = {**self.write_options, **options}
        converter = get_converter(source, target, root_dir=src, is_categorized=self.splits, **options)
        return converter.save_to_folder(dst)

    def written(self, tmp_path: Path, holds: frozenset[str] | None = None) -> Path:
        """The format's own output for the sample of what it holds."""
        items = sample_items(tmp_path / 'images', self.holds if holds is None else holds, splits=self.splits)
        dm = write_dm_dataset(tmp_path / 'dm', items)
        out = tmp_path / self.format
        self.convert('dm_v2', self.format, dm, out, strict=True)
        return out

    # the contract ------------------------------------------------------------------------------

    def test_dm_v2_round_trip_keeps_what_the_writer_holds(self, tmp_path: Path) -> None:
        items = sample_items(tmp_path / 'images', self.holds, splits=self.splits)
        dm = write_dm_dataset(tmp_path / 'dm', items)
        summary = self.convert('dm_v2', self.format, dm, tmp_path / 'out', strict=True)
        assert summary.total_images == len(items)
        assert not summary.report.entries, [str(e) for e in summary.report.entries]
        back = self.convert(self.format, 'dm_v2', tmp_path / 'out', tmp_path / 'back', strict=True)
        assert not back.report.entries, [str(e) for e in back.report.entries]
        expected, found = dm_shapes(dm, categorized=self.splits), dm_shapes(tmp_path / 'back', categorized=self.splits)
        assert sorted(found) == sorted(expected)
        for key, shapes in expected.items():
            assert _close(found[key], shapes, self.tolerance), (key, found[key], shapes)
        if dm_version(self.format, WRITERS) is None:  # DM -> DM copies files; others count what they write
            kinds = Counter({k: n for split in summary.annotations.values() for k, n in split.items()})
            assert sum(kinds.values()) > 0, 'the writer counted no annotations in the summary'

    def test_what_cannot_be_held_is_reported_per_image(self, tmp_path: Path) -> None:
        items = sample_items(tmp_path / 'images', None, splits=self.splits)
        dm = write_dm_dataset(tmp_path / 'dm', items)
        summary = self.convert('dm_v2', self.format, dm, tmp_path / 'out')
        back = self.convert(self.format, 'dm_v2', tmp_path / 'out', tmp_path / 'back')
        expected, found = dm_shapes(dm, categorized=self.splits), dm_shapes(tmp_path / 'back', categorized=self.splits)
        reported = {e.item for e in [*summary.report.entries, *back.report.entries]}
        for key, shapes in expected.items():
            came_back = found.get(key, [])
            missing = [s for s in shapes if not any(_close(s, b, self.tolerance) for b in came_back)]
            if missing:
                assert key.rsplit('/', 1)[-1] in reported, f'{key}: {missing} lost without a report entry'

    def test_strict_mode_raises_where_the_report_would_skip(self, tmp_path: Path) -> None:
        items = sample_items(tmp_path / 'images', self.holds, splits=self.splits)
        dm = write_dm_dataset(tmp_path / 'dm', items)
        victim = items[0]
        base = dm / victim.split if victim.split else dm
        (base / 'original_files' / f'{victim.name}.png').unlink()
        summary = self.convert('dm_v2', self.format, dm, tmp_path / 'lenient')
        assert summary.total_images >= len(items) - 1
        assert any(e.action == 'skipped' and e.item == victim.name for e in summary.report.entries)
        with pytest.raises(StrictModeError):
            self.convert('dm_v2', self.format, dm, tmp_path / 'strict', strict=True)
        assert not (tmp_path / 'strict').exists()

    def test_reader_fuzz_raises_only_typed_errors(self, tmp_path: Path) -> None:
        pytest.importorskip('hypothesis')
        from hypothesis import HealthCheck, given, settings
        from hypothesis import strategies as st

        pristine = self.written(tmp_path)
        every = sorted(p.relative_to(pristine) for p in pristine.rglob('*') if p.is_file())
        files = [p for p in every if p.suffix.lower() not in ('.png', '.jpg', '.jpeg')] or every  # ImageFolder
        categorized = self.splits
        fmt = self.format

        @settings(
            max_examples=self.fuzz_examples, deadline=None, database=None, suppress_health_check=list(HealthCheck)
        )
        @given(st.data())
        def fuzz(data: st.DataObject) -> None:
            name = data.draw(st.sampled_from(files))
            with tempfile.TemporaryDirectory() as temp:
                root = Path(temp) / 'data'
                shutil.copytree(pristine, root)
                target = root / name
                raw = target.read_bytes()
                mode = data.draw(st.sampled_from(['number', 'number', 'truncate', 'bytes']))
                numbers = list(_NUMBER.finditer(raw))
                if mode == 'number' and numbers:
                    found = data.draw(st.sampled_from(numbers))
                    value = data.draw(st.sampled_from(_ODD_VALUES))
                    raw = raw[: found.start()] + value + raw[found.end() :]
                elif mode == 'truncate':
                    raw = raw[: data.draw(st.integers(0, len(raw)))]
                else:
                    at = data.draw(st.integers(0, len(raw)))
                    raw = raw[:at] + data.draw(st.binary(max_size=12)) + raw[at + data.draw(st.integers(0, 8)) :]
                target.write_bytes(raw)
                for strict in (False, True):
                    try:
                        _read_all(fmt, root, categorized=categorized, strict=strict)
                    except ConverterError:
                        pass

        fuzz()

    def test_reader_memory_does_not_grow_with_the_image_count(self, tmp_path: Path) -> None:
        peaks = []
        sizes = (40, 400)
        for count in sizes:
            root = tmp_path / f'n{count}'
            self._many(root, count)
            best = None
            for _ in range(2):  # the lower of two runs: a collection that happens to run late is not the reader
                gc.collect()
                tracemalloc.start()
                try:
                    read = _read_all(self.format, root / 'out', categorized=self.splits, strict=False)
                    peak = tracemalloc.get_traced_memory()[1]
                finally:
                    tracemalloc.stop()
                assert read == count
                best = peak if best is None else min(best, peak)
            peaks.append(best or 0)
        growth = peaks[1] - peaks[0]
        allowed = self.memory_per_image * (sizes[1] - sizes[0])
        assert growth <= allowed, f'peak grew by {growth} bytes for {sizes[1] - sizes[0]} more images (> {allowed})'

    def _many(self, root: Path, count: int) -> None:
        """``count`` images with about 25 annotations each, written by the format's writer."""
        image = root / 'one.png'
        write_image(image)
        writer_cls = WRITERS.load(self.format)
        summary = ConversionSummary('items', self.format)
        out = root / 'out'
        out.mkdir(parents=True)
        writer = writer_cls(out, report=Report(), classes=ClassMap(), summary=summary, images='link', final=out)
        for item in _many_items(image, count, self.holds, self.splits):
            writer.write(item)
        writer.close()
        writer.finish(out, out)


def _many_items(image: Path, count: int, holds: frozenset[str], splits: bool) -> Iterator[Item]:
    for index in range(count):
        anns: list[Annotation] = []
        for _ in range(8):
            anns += sample_annotations(holds, index)
        split = ('train', 'valid')[index % 2] if splits else ''
        yield Item(f'img_{index:05d}', split, image, SIZE[0], SIZE[1], anns)


def _close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) and not isinstance(a, bool):
        return math.isclose(a, b, abs_tol=max(tol, 1e-3))
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        if len(a) != len(b):
            return False
        return all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    return bool(a == b)
