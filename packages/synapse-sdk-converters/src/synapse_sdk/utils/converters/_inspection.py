"""Validate a dataset (report every problem without writing anything) and draw previews of it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._base import ROUNDING, ClassMap, Reader
from synapse_sdk.utils.converters._detect import detect_layout
from synapse_sdk.utils.converters._formats import READERS, format_name
from synapse_sdk.utils.converters._imagesize import image_size
from synapse_sdk.utils.converters._model import KIND_NAMES, Box, Item, Keypoints, Mask, Point, Polygon, Polyline
from synapse_sdk.utils.converters._report import ConversionSummary, Report
from synapse_sdk.utils.converters.errors import ConverterError


def _reader(
    fmt: str,
    path: str | os.PathLike[str],
    is_categorized: bool | None,
    report: Report,
    images_dir: str | os.PathLike[str] | None = None,
) -> tuple[str, Reader]:
    if fmt == 'auto':
        fmt = detect_layout(path, images_dir=images_dir).format
    name = format_name(fmt, READERS)
    reader = READERS.load(name)(Path(path), is_categorized=is_categorized, report=report, images_dir=images_dir)
    return name, reader


def validate_dataset(
    fmt: str,
    path: str | os.PathLike[str],
    *,
    is_categorized: bool | None = None,
    images_dir: str | os.PathLike[str] | None = None,
    progress: Callable[[int, int | None], None] | None = None,
) -> ConversionSummary:
    """Read the whole dataset and check each item against its image; nothing is written.

    Problems (malformed files, missing or unreadable images, boxes and points outside the image,
    polygons with fewer than three points) are entries in the returned summary's report.
    """
    report = Report()
    name, reader = _reader(fmt, path, is_categorized, report, images_dir)
    summary = ConversionSummary(name, name, report=report)
    classes = ClassMap(reader.class_names() or ())
    total = reader.count() if progress else None
    for done, item in enumerate(reader.items(), 1):
        _check_item(item, report, summary)
        for ann in item.annotations:
            label = getattr(ann, 'label', None)
            if isinstance(label, str):
                classes.id(label)
        if progress:
            progress(done, total)
    summary.classes = list(classes.names)
    return summary


def _check_item(item: Item, report: Report, summary: ConversionSummary) -> None:
    where: dict[str, Any] = {'item': item.name, 'file': item.source or None}
    if item.image is None:
        report.skipped(
            'image file is missing', item=item.name, file=item.looked_in[0] if item.looked_in else item.source
        )
        return
    try:
        width, height = image_size(item.image)
    except ConverterError as error:
        report.skipped(error.reason, item=item.name, file=str(item.image))
        return
    if item.width and item.height and (item.width, item.height) != (width, height):
        report.changed(f'recorded size {item.width}x{item.height} differs from the image ({width}x{height})', **where)
    split = item.split or 'all'
    summary.images[split] = summary.images.get(split, 0) + 1
    tolerance = ROUNDING * max(width, height)  # 6-decimal YOLO rounding is not a problem
    for ann in item.annotations:
        summary.count(split, KIND_NAMES[type(ann)])
        if isinstance(ann, Box):
            if ann.w <= 0 or ann.h <= 0:
                report.skipped('box has no area', annotation=ann.id, **where)
            elif (
                ann.x < -tolerance
                or ann.y < -tolerance
                or ann.x + ann.w > width + tolerance
                or ann.y + ann.h > height + tolerance
            ):
                report.changed('box extends outside the image', annotation=ann.id, **where)
        elif isinstance(ann, (Polygon, Polyline)):
            if isinstance(ann, Polygon) and len(ann.points) < 3:
                report.skipped('polygon with fewer than 3 points', annotation=ann.id, **where)
            if any(not (0 <= x <= width and 0 <= y <= height) for x, y in ann.points):
                report.changed('points outside the image', annotation=ann.id, **where)
        elif isinstance(ann, Keypoints):
            if any(p.v > 0 and not (0 <= p.x <= width and 0 <= p.y <= height) for p in ann.points):
                report.changed('keypoints outside the image', annotation=ann.id, **where)
        elif isinstance(ann, Point):
            if not (0 <= ann.x <= width and 0 <= ann.y <= height):
                report.changed('keypoint outside the image', annotation=ann.id, **where)
        elif isinstance(ann, Mask) and ann.pixels and max(ann.pixels) >= width * height:
            report.changed('mask pixels outside the image', annotation=ann.id, **where)


def preview_dataset(
    fmt: str,
    path: str | os.PathLike[str],
    out: str | os.PathLike[str],
    *,
    is_categorized: bool | None = None,
    images_dir: str | os.PathLike[str] | None = None,
    limit: int = 8,
    max_size: int = 1024,
    min_size: int = 480,
) -> list[Path]:
    """Draw the annotations of the first ``limit`` images, each legible, plus ``contact_sheet.png``.

    Returns the files written: one PNG per image, then the contact sheet of all of them.
    """
    from synapse_sdk.utils.converters._preview import contact_sheet, render

    report = Report()
    _, reader = _reader(fmt, path, is_categorized, report, images_dir)
    target = Path(out)
    target.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    pictures = []
    for item in _with_images(reader.items(), limit):
        image = render(item, min_side=min_size, max_side=max_size)
        name = f'{item.split}_{item.name}.png' if item.split else f'{item.name}.png'
        image.save(target / name)
        written.append(target / name)
        pictures.append((image, name.removesuffix('.png')))
    if pictures:
        sheet = contact_sheet([p for p, _ in pictures], [t for _, t in pictures])
        sheet.save(target / 'contact_sheet.png')
        written.append(target / 'contact_sheet.png')
    return written


def _with_images(items: Iterator[Item], limit: int) -> Iterator[Item]:
    count = 0
    for item in items:
        if count >= limit:
            return
        if item.image is not None and item.image.is_file():
            count += 1
            yield item
