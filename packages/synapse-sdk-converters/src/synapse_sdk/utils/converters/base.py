"""Reader and writer contracts: a reader yields one :class:`Item` at a time, a writer takes it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters.errors import ConverterError
from synapse_sdk.utils.converters.imagesize import image_size
from synapse_sdk.utils.converters.layout import ImageMode
from synapse_sdk.utils.converters.model import Item
from synapse_sdk.utils.converters.report import ConversionSummary, Report


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

    def __contains__(self, name: object) -> bool:
        return name in self._ids

    def __len__(self) -> int:
        return len(self.names)


class Reader(ABC):
    """Reads one dataset format. ``items()`` must stream: memory may not grow with the image count."""

    def __init__(self, root: Path, *, is_categorized: bool, report: Report, **options: Any) -> None:
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

    @abstractmethod
    def count(self) -> int | None:
        """How many items ``items()`` will yield, when cheap to know (for progress)."""

    @abstractmethod
    def items(self) -> Iterator[Item]:
        """Yield the dataset's items, one at a time."""


class Writer(ABC):
    """Writes one dataset format into ``out`` (a temporary folder renamed into place afterwards)."""

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

    @abstractmethod
    def write(self, item: Item) -> None:
        """Write one item (its annotations, and its image unless ``images='none'``)."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Write what needs the whole dataset (class lists, index files)."""

    def finish(self, final: Path, folder: Path) -> None:  # noqa: B027 - optional hook
        """Last touches that need the final folder name (``dataset.yaml``'s ``path``)."""

    def counted(self, split: str, kind: str) -> None:
        self.summary.count(split or 'all', kind)

    def ensure_size(self, item: Item) -> bool:
        """Fill ``item.width``/``height`` from the image header; report and return False if impossible."""
        if item.image is None and self.images != 'none':
            self.report.skipped('image file is missing', item=item.name, file=item.source or None)
            return False
        if item.width and item.height:
            return True
        if item.image is None:
            self.report.skipped('image file is missing', item=item.name, file=item.source or None)
            return False
        try:
            item.width, item.height = image_size(item.image)
        except ConverterError as error:
            self.report.skipped(error.reason, item=item.name, file=str(item.image))
            return False
        return True
