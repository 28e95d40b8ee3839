"""Per-item bookkeeping of what a target format cannot hold (lost) or holds as another kind (changed),
reported once per item and reason."""

from __future__ import annotations

from collections import Counter

from synapse_sdk.utils.converters._model import Annotation, Box, Item, Keypoints, Mask, Point, Polygon, Polyline, Tag
from synapse_sdk.utils.converters._report import Report

# How a report names the annotations a target format has no place for.
KIND_LOSSES: dict[type, str] = {
    Point: 'a keypoint outside a keypoint group',
    Polyline: 'polylines',
    Mask: 'pixel masks',
    Tag: 'image classifications',
    Box: 'boxes',
    Polygon: 'polygons',
    Keypoints: 'keypoint objects',
}


class Losses:
    def __init__(self, target: str) -> None:
        self.target = target
        self.counts: Counter[str] = Counter()
        self.changes: Counter[str] = Counter()

    def change(self, what: str, count: int = 1) -> None:
        """Count annotations written as another kind (a polygon as its box, ...)."""
        self.changes[what] += count

    def add(self, what: str) -> None:
        self.counts[what] += 1

    def cannot_hold(self, ann: Annotation) -> None:
        """Count ``ann`` as lost by its kind (DM tools no format knows by their tool name)."""
        what = KIND_LOSSES.get(type(ann))
        self.counts[what or f'{getattr(ann, "tool", "other")} annotations'] += 1

    def attrs(self, ann: Annotation) -> None:
        if getattr(ann, 'attrs', None):
            self.counts['annotation attributes'] += 1

    def flush(self, report: Report, item: Item) -> None:
        for what, count in self.counts.items():
            report.lost(f'{self.target} cannot hold {what} (x{count})', item=item.name, file=item.source or None)
        self.counts.clear()
        if self.changes:
            changes = list(self.changes.items())
            self.changes.clear()
            for what, count in changes:
                report.changed(f'{what} (x{count})', item=item.name, file=item.source or None)
