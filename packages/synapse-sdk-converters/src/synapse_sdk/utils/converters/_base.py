"""Reader and writer contracts: a reader yields one :class:`Item` at a time, a writer takes it."""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any, ClassVar

from synapse_sdk.utils.converters._imagesize import image_size
from synapse_sdk.utils.converters._layout import ImageMode, place_image
from synapse_sdk.utils.converters._model import Box, Item
from synapse_sdk.utils.converters._report import ConversionSummary, Report
from synapse_sdk.utils.converters.errors import ConverterError

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, 'O_CLOEXEC', 0) | getattr(os, 'O_BINARY', 0)

#: Normalised coordinates written with 6 decimals are off by up to this much (and a little float noise).
ROUNDING = 2e-6


class ClassMap:
    """One class list for the whole dataset: ids follow the given names, then first appearance."""

    def __init__(self, names: Iterable[str] = ()) -> None:
        self.names: list[str] = []
        self._ids: dict[str, int] = {}
        for name in names:
            self.id(name)

    def id(self, name: str) -> int:
        found = self._ids.get(name)
        if found is None:
            found = self._ids[name] = len(self.names)
            self.names.append(name)
        return found

    def add(self, names: Iterable[str]) -> None:
        """Give each of ``names`` an id, in order, unless it has one (once per item: the known are skipped fast)."""
        known = self._ids
        for name in names:
            if name not in known:
                self.id(name)

    def reset(self, names: Iterable[str]) -> None:
        """Make the list ``names`` again (a worker's copy, at the start of each batch)."""
        self.names.clear()
        self._ids.clear()
        for name in names:
            self.id(name)

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __len__(self) -> int:
        return len(self.names)


class Reader(ABC):
    """Reads one dataset format. ``items()`` must stream: memory may not grow with the image count."""

    #: ``'v1'``/``'v2'`` for the DM readers: whole DM datasets convert file by file between versions.
    dm_version: ClassVar[str | None] = None

    def __init__(self, root: Path, *, is_categorized: bool | None, report: Report, **options: Any) -> None:
        #: Set by ``workers=N``: ``items()`` may leave the costly part of an item (parsing its
        #: annotations) in ``item.deferred`` for :meth:`complete` to do in a worker process.
        self.defer = False
        #: Also set by ``workers=N``: runs a picklable function on a worker process, for a reader
        #: whose listing itself has a costly part (COCO parses its one annotation file there).
        self.offload: Callable[..., Future[Any]] | None = None
        self.root = root
        self.is_categorized = is_categorized
        self.report = report
        self.options = options

    def problem(self, error: ConverterError, *, item: str | None = None) -> None:
        """Bad input: raise it in strict mode, else report the skipped part and go on."""
        if self.report.strict:
            raise error
        self.report.skipped(error.reason, item=item, file=error.file, line=error.line, annotation=error.key)

    def class_names(self) -> list[str] | None:
        """The dataset's own class list when the format has one (YOLO names, COCO categories)."""
        return None

    def keypoint_count(self) -> int | None:
        """Keypoints per object when the source declares them (COCO category keypoints, YOLO kpt_shape)."""
        return None

    @abstractmethod
    def count(self) -> int | None:
        """How many items ``items()`` will yield, when cheap to know (for progress)."""

    @abstractmethod
    def items(self) -> Iterator[Item]:
        """Yield the dataset's items, one at a time."""

    def complete(self, item: Item) -> Item | None:
        """Do what ``items()`` left in ``item.deferred``; ``None`` when the item is unusable (reported)."""
        return item


class Writer(ABC):
    """Writes one dataset format into ``out`` (a temporary folder renamed into place afterwards).

    ``holds`` declares what the format keeps (names from :data:`~synapse_sdk.utils.converters._support.CAPABILITIES`):
    the docs' support matrix is generated from it and the contract suite checks it.
    """

    holds: ClassVar[frozenset[str]] = frozenset()
    #: ``'v1'``/``'v2'`` for the DM writers.
    dm_version: ClassVar[str | None] = None
    #: One output file per image: ``workers=N`` may write the items on N processes (the writer
    #: then implements :meth:`shared`/:meth:`adopt` and :meth:`delta`/:meth:`merge`).
    per_image: ClassVar[bool] = False

    def __init__(
        self,
        out: Path,
        *,
        report: Report,
        classes: ClassMap,
        summary: ConversionSummary,
        images: ImageMode = 'copy',
        **options: Any,
    ) -> None:
        self.out = out
        self.report = report
        self.classes = classes
        self.summary = summary
        self.images = images
        self.options = options
        #: The first item skipped because its image was not found (for the "nothing written" error).
        self.first_missing: Item | None = None
        #: On a worker's copy (``workers=N``): the files it made, for the main process to write.
        #: One process creates every file: the file system serialises creating files in one
        #: folder, and two processes doing it at once spent twice the kernel CPU for the same files.
        self.files: list[tuple[str, bytes | Path]] | None = None

    def put(self, path: str | os.PathLike[str], data: bytes) -> None:
        """Write the file ``path`` (a per-image writer's one way to write one)."""
        if self.files is not None:
            self.files.append((os.fspath(path), data))
            return
        # os-level calls: a buffered file object costs as much again as creating a small file
        fd = os.open(path, _CREATE, 0o666)
        try:
            written = os.write(fd, data)
            if written < len(data):  # a short write (rare, but allowed)
                view = memoryview(data)[written:]
                while view:
                    view = view[os.write(fd, view) :]
        finally:
            os.close(fd)

    def put_image(self, item: Item, folder: Path) -> None:
        """Place ``item``'s image in ``folder``, named :attr:`Item.output_file_name`, as ``images``
        says (nothing for ``'none'``)."""
        if self.images == 'none' or item.image is None:
            return
        target = folder / item.output_file_name
        if self.files is not None:
            self.files.append((os.fspath(target), item.image))
            return
        place_image(item.image, target, self.images)

    def write_files(self, files: list[tuple[str, bytes | Path]]) -> None:
        """Write what a worker's copy made (:attr:`files`), in its order."""
        for path, data in files:
            if isinstance(data, bytes):
                self.put(path, data)
            else:
                place_image(data, Path(path), self.images)

    def prepare(self, item: Item) -> None:  # noqa: B027 - optional hook
        """Decide what depends on the names of the items before (renames), before ``item`` is written."""

    @abstractmethod
    def write(self, item: Item) -> None:
        """Write one item (its annotations, and its image unless ``images='none'``)."""

    def write_item(self, item: Item) -> None:
        """Write ``item`` as a conversion does: the source's class order first (a DM file's
        ``classification`` lists), and every report entry made meanwhile names its image."""
        self.classes.add(item.categories)
        self.report.image = str(item.image) if item.image is not None else None
        try:
            self.write(item)
        finally:
            self.report.image = None

    def parallel(self) -> bool:
        """Whether the items may now be written on several processes (see :attr:`per_image`)."""
        return self.per_image

    def shared(self) -> dict[str, Any]:
        """The state that the items written so far decide (the YOLO task): a worker's copy adopts it
        before a batch, and the main process takes it back after."""
        return {}

    def adopt(self, state: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Take a :meth:`shared` state."""

    def delta(self) -> dict[str, Any]:
        """What a worker's batch left that :meth:`close` needs (taken, so the next batch starts empty)."""
        return {}

    def merge(self, delta: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Take a worker batch's :meth:`delta`, in item order."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Write what needs the whole dataset (class lists, index files)."""

    def finish(self, final: Path, folder: Path) -> None:  # noqa: B027 - optional hook
        """Last touches that need the final folder name (``dataset.yaml``'s ``path``)."""

    def counted(self, split: str, kind: str) -> None:
        self.summary.count(split or 'all', kind)

    def box_outside(self, ann: Box, item: Item) -> None:
        self.report.skipped(
            'box lies outside the image or has no area', item=item.name, file=item.source or None, annotation=ann.id
        )

    def box_clipped(self, ann: Box, item: Item) -> None:
        self.report.changed('box clipped to the image', item=item.name, file=item.source or None, annotation=ann.id)

    def clip_box(self, ann: Box, item: Item, width: float, height: float) -> tuple[float, float, float, float] | None:
        """``ann`` clipped to the image as ``(x0, y0, x1, y1)`` (reported); ``None`` when nothing is left."""
        x, y = ann.x, ann.y
        x1, y1 = x + ann.w, y + ann.h
        if 0 <= x < x1 <= width and 0 <= y < y1 <= height:  # inside, with an area: the common case
            return x, y, x1, y1
        x0, y0 = max(ann.x, 0.0), max(ann.y, 0.0)
        x1, y1 = min(ann.x + ann.w, width), min(ann.y + ann.h, height)
        if x1 - x0 <= 0 or y1 - y0 <= 0:
            self.box_outside(ann, item)
            return None
        # Less than the 6-decimal rounding of normalised coordinates (YOLO) is no problem: clip silently.
        tolerance = ROUNDING * max(width, height)
        if max(x0 - ann.x, y0 - ann.y, ann.x + ann.w - x1, ann.y + ann.h - y1) > tolerance:
            self.box_clipped(ann, item)
        return x0, y0, x1, y1

    def image_missing(self, item: Item) -> None:
        """Report an item whose image was not found, naming the image path looked for."""
        if self.first_missing is None:
            self.first_missing = item
        looked = item.looked_in[0] if item.looked_in else item.source or None
        self.report.skipped('image file is missing', item=item.name, file=looked)

    def ensure_size(self, item: Item) -> bool:
        """Fill ``item.width``/``height`` from the image header; report and return False if impossible."""
        if item.image is None and self.images != 'none':
            self.image_missing(item)
            return False
        if item.width and item.height:
            return True
        if item.image is None:
            self.image_missing(item)
            return False
        try:
            item.width, item.height = image_size(item.image)
        except ConverterError as error:
            self.report.skipped(error.reason, item=item.name, file=str(item.image))
            return False
        return True
