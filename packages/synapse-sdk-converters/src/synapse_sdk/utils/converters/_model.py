"""The one internal model every reader yields and every writer takes: an image and its annotations.

Coordinates are absolute pixels with a top-left origin, as in DM v2. Each annotation keeps its
DM attributes (``attrs``, name -> value, in order) and its DM id when it has one.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import Any, Union


@dataclass(slots=True)
class Box:
    label: str
    x: float
    y: float
    w: float
    h: float
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Polygon:
    """A closed ring of at least three points."""

    label: str
    points: list[tuple[float, float]]
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class MultiPolygon:
    """One object drawn as several rings (a COCO ``segmentation`` with many polygons, a DM group of
    polygons); every consumer must see it as ONE object. ``part_ids`` keeps the DM polygon ids."""

    label: str
    parts: list[list[tuple[float, float]]]
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    part_ids: list[str | None] = field(default_factory=list)

    def all_points(self) -> list[tuple[float, float]]:
        return [point for part in self.parts for point in part]


@dataclass(slots=True)
class Polyline:
    """An open line; only DM can hold it."""

    label: str
    points: list[tuple[float, float]]
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Keypoint:
    """One named point of a :class:`Keypoints` instance; ``v`` is COCO/YOLO visibility (0, 1, 2)."""

    name: str
    x: float
    y: float
    v: int = 2
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Keypoints:
    """An object with ordered keypoints (a YOLO pose row, a COCO keypoint annotation, a DM group)."""

    label: str
    points: list[Keypoint]
    box: tuple[float, float, float, float] | None = None
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    box_id: str | None = None
    #: Edges between keypoints, as 0-based index pairs into ``points`` (COCO's category ``skeleton``,
    #: 1-based there). One tuple per category, shared by its annotations; ``()`` when the source has none.
    skeleton: tuple[tuple[int, int], ...] = ()


@dataclass(slots=True)
class Point:
    """A lone DM keypoint that belongs to no group."""

    label: str
    x: float
    y: float
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Mask:
    """A pixel mask as row-major pixel indices (``y * width + x``), as DM ``segmentation`` stores it."""

    label: str
    pixels: list[int]
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Tag:
    """An image-level classification (DM ``classification`` tool)."""

    label: str
    attrs: dict[str, Any] = field(default_factory=dict)
    id: str | None = None


@dataclass(slots=True)
class Other:
    """A DM annotation of a tool no other format knows (relation, group, ...), kept as written."""

    tool: str
    raw: dict[str, Any]


Annotation = Union[Box, Polygon, MultiPolygon, Polyline, Keypoints, Point, Mask, Tag, Other]  # noqa: UP007 - runtime alias on 3.10

KIND_NAMES: dict[type, str] = {
    Box: 'bbox',
    Polygon: 'polygon',
    MultiPolygon: 'polygon',
    Polyline: 'polyline',
    Keypoints: 'keypoints',
    Point: 'point',
    Mask: 'mask',
    Tag: 'tag',
    Other: 'other',
}


@dataclass(slots=True)
class Item:
    """One image of a dataset, in one split ('' when the dataset has no splits)."""

    name: str
    split: str
    image: Path | None
    width: int | None = None
    height: int | None = None
    annotations: list[Annotation] = field(default_factory=list)
    source: str = ''
    image_name: str | None = None
    #: Where the reader looked for a missing image (for the report and the "no image found" error).
    looked_in: tuple[str, ...] = ()
    #: Class names the source declares for this image, in its order (a DM file's ``classification``
    #: lists); writers register them before the annotations, so class ids follow the source's order.
    categories: tuple[str, ...] = ()
    #: What a reader left for :meth:`Reader.complete` (``workers=N``); ``None`` once complete.
    deferred: Any = None

    def __reduce__(self) -> tuple[type[Item], tuple[Any, ...]]:
        # workers=N sends every listed item to a worker: by value, positional, cheaper than the default
        return Item, _item_fields(self)

    @property
    def file_name(self) -> str:
        """The image's file name (with extension) to use in the output."""
        if self.image_name:
            return self.image_name
        if self.image is not None:
            return self.image.name
        return self.name + '.jpg'

    @property
    def output_file_name(self) -> str:
        """What every writer names the image: the item's name with its image's extension."""
        return f'{self.name}{self.image.suffix}' if self.image is not None else self.file_name


#: Every field of an :class:`Item`, in order, as one tuple (for :meth:`Item.__reduce__`).
_item_fields = attrgetter(*(f.name for f in fields(Item)))
