"""What a conversion wrote, skipped, changed and lost, and why.

``skipped`` and ``changed`` entries are problems in the data (a box outside the image, an unknown
class, a missing image); with ``strict=True`` they raise :class:`StrictModeError` instead.
``lost`` entries are what the target format cannot hold (attributes in YOLO, tags in VOC); they are
always reported and never raise.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from synapse_sdk.utils.converters.errors import StrictModeError

Action = Literal['skipped', 'changed', 'lost']


@dataclass(frozen=True, slots=True)
class ReportEntry:
    action: Action
    reason: str
    item: str | None = None
    file: str | None = None
    line: int | None = None
    annotation: str | None = None
    #: The image the entry is about, when it is about one (the label file alone does not say which).
    image: str | None = None

    def __str__(self) -> str:
        where = self.file or self.item or ''
        if self.file and self.line is not None:
            where += f':{self.line}'
        what = f' ({self.annotation})' if self.annotation else ''
        about = f' [image {self.image}]' if self.image and self.image != self.file else ''
        return f'{self.action}: {where}{what}{about}: {self.reason}'

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__ if getattr(self, k) is not None}

    def __reduce__(self) -> tuple[type[ReportEntry], tuple[Any, ...]]:
        # a worker's entries cross to the main process (workers=N): by value, half the default's cost
        return ReportEntry, (self.action, self.reason, self.item, self.file, self.line, self.annotation, self.image)


@dataclass
class Report:
    """Collects entries; ``strict`` turns skipped/changed entries into errors on the spot."""

    strict: bool = False
    entries: list[ReportEntry] = field(default_factory=list)
    #: Set by the converter while an item is written: every entry made then names its image.
    image: str | None = None

    def add(
        self,
        action: Action,
        reason: str,
        *,
        item: str | None = None,
        file: str | None = None,
        line: int | None = None,
        annotation: str | None = None,
        image: str | None = None,
    ) -> None:
        if self.strict and action != 'lost':
            raise StrictModeError(f'{reason} (strict mode)', file=file or item, line=line, key=annotation)
        self.entries.append(ReportEntry(action, reason, item, file, line, annotation, image or self.image))

    def skipped(self, reason: str, **where: Any) -> None:
        self.add('skipped', reason, **where)

    def changed(self, reason: str, **where: Any) -> None:
        self.add('changed', reason, **where)

    def lost(self, reason: str, **where: Any) -> None:
        self.add('lost', reason, **where)

    def counts(self) -> dict[str, int]:
        """Entries per action."""
        return dict(Counter(entry.action for entry in self.entries))

    def reasons(self) -> dict[str, int]:
        """Entries per ``action: reason``, for a short summary."""
        return dict(Counter(f'{entry.action}: {entry.reason}' for entry in self.entries))

    def __len__(self) -> int:
        return len(self.entries)

    def __bool__(self) -> bool:
        return True


@dataclass
class ConversionSummary:
    """What ``convert()`` and ``save_to_folder()`` return."""

    source: str
    target: str
    images: dict[str, int] = field(default_factory=dict)
    annotations: dict[str, dict[str, int]] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)
    report: Report = field(default_factory=Report)
    output: str | None = None

    @property
    def total_images(self) -> int:
        return sum(self.images.values())

    @property
    def total_annotations(self) -> int:
        return sum(sum(kinds.values()) for kinds in self.annotations.values())

    def count(self, split: str, kind: str, n: int = 1) -> None:
        kinds = self.annotations.get(split)
        if kinds is None:
            kinds = self.annotations[split] = {}
        kinds[kind] = kinds.get(kind, 0) + n

    def kinds(self, split: str) -> dict[str, int]:
        """The per-kind counts of ``split``, created on first use: a writer's hot loop adds to it directly."""
        kinds = self.annotations.get(split)
        if kinds is None:
            kinds = self.annotations[split] = {}
        return kinds

    def to_dict(self) -> dict[str, Any]:
        return {
            'source': self.source,
            'target': self.target,
            'output': self.output,
            'images': dict(self.images),
            'annotations': {split: dict(kinds) for split, kinds in self.annotations.items()},
            'classes': list(self.classes),
            'report': {'counts': self.report.counts(), 'entries': [e.to_dict() for e in self.report.entries]},
        }
