"""ImageFolder (torchvision, Datumaro ``imagenet``): ``[<split>/]<class>/<image>``, one class per image.

Reading, each image becomes an item with one DM ``classification`` tag (the folder name); classes
are the folder names in sorted order, as torchvision numbers them. Writing, an image goes to the
folder of its one tag; an image without a tag is skipped, other annotations are reported as lost.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._layout import find_split_dirs, list_images, place_image, safe_name
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import Item, Tag
from synapse_sdk.utils.converters.errors import UnsafePathError


class ImageFolderReader(Reader):
    def _folders(self) -> list[tuple[str, Path]]:
        return find_split_dirs(self.root, is_categorized=self.is_categorized)

    def _classes(self, folder: Path) -> list[str]:
        return sorted(e.name for e in os.scandir(folder) if e.is_dir() and not e.name.startswith('.'))

    def class_names(self) -> list[str] | None:
        given = self.options.get('class_names')
        if given:
            return [str(n) for n in given]
        names: set[str] = set()
        for _, folder in self._folders():
            names.update(self._classes(folder))
        return sorted(names) or None

    def count(self) -> int:
        return sum(len(list_images(f / c)) for _, f in self._folders() for c in self._classes(f))

    def items(self) -> Iterator[Item]:
        for split, folder in self._folders():
            seen: set[str] = set()
            for label in self._classes(folder):
                images = list_images(folder / label)
                for stem in sorted(images):
                    name = stem
                    if name in seen:
                        name = f'{stem}_{label}'
                        self.report.changed(
                            f'another class has an image named {stem!r}; renamed {name!r}',
                            item=name,
                            file=str(folder / label / images[stem]),
                        )
                    seen.add(name)
                    image = folder / label / images[stem]
                    yield Item(name, split, image, annotations=[Tag(label)], source=str(image))


class ImageFolderWriter(Writer):
    holds = frozenset({'tag', 'splits'})

    def __init__(self, out: Path, **kwargs: Any) -> None:
        super().__init__(out, **kwargs)
        self.losses = Losses('ImageFolder')
        self._splits: set[str] = set()
        self._tag_classes: set[str] = set()  # the class map also holds the source's box/polygon classes

    def write(self, item: Item) -> None:
        tags = [a for a in item.annotations if isinstance(a, Tag)]
        if not tags:
            self.report.skipped(
                'image has no classification tag (ImageFolder needs one)', item=item.name, file=item.source or None
            )
            return
        if item.image is None:
            self.report.skipped('image file is missing', item=item.name, file=item.source or None)
            return
        if len(tags) > 1:
            self.losses.add(f'more than one tag per image (kept {tags[0].label!r})')
        tag = tags[0]
        try:
            folder_name = safe_name(tag.label)
        except UnsafePathError as error:
            self.report.skipped(error.reason, item=item.name, file=item.source or None)
            return
        if folder_name != tag.label or tag.label.startswith('.'):
            self.report.skipped(
                f'tag {tag.label!r} is not a usable folder name', item=item.name, file=item.source or None
            )
            return
        if tag.attrs:
            self.losses.add('attributes of image tags')
        for ann in item.annotations:
            if not isinstance(ann, Tag):
                self.losses.cannot_hold(ann)
        folder = (self.out / item.split if item.split else self.out) / tag.label
        folder.mkdir(parents=True, exist_ok=True)
        self._splits.add(item.split)
        self.classes.id(tag.label)
        self._tag_classes.add(tag.label)
        if self.images != 'none':
            place_image(item.image, folder / item.output_file_name, self.images)
        self.counted(item.split, 'tag')
        self.summary.images[item.split or 'all'] = self.summary.images.get(item.split or 'all', 0) + 1
        self.losses.flush(self.report, item)

    def close(self) -> None:
        for split in self._splits:  # every class has its folder in every split, so class ids agree
            for name in self.classes.names:
                if name in self._tag_classes:
                    (self.out / split / name if split else self.out / name).mkdir(parents=True, exist_ok=True)
