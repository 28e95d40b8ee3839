"""Run inside a throw-away peer environment: write one small dataset with supervision or Datumaro in
every layout that tool exports, so the tests read what the real tool writes.

    uv run --no-project --with supervision python export_layouts.py supervision IMAGES OUT
    uv run --no-project --with datumaro python export_layouts.py datumaro IMAGES OUT

IMAGES holds ``a.jpg`` (64x48) and ``b.jpg`` (80x60); each gets the boxes in BOXES (x, y, w, h, class).
"""

from __future__ import annotations

import sys
from pathlib import Path

CLASSES = ['cat', 'dog']
BOXES = {'a': [(4.0, 6.0, 20.0, 10.0, 0)], 'b': [(10.0, 12.0, 30.0, 20.0, 1), (40.0, 5.0, 20.0, 30.0, 0)]}


def supervision(images: Path, out: Path) -> None:
    import numpy as np
    import supervision as sv  # type: ignore[import-not-found]

    paths = {stem: str(images / f'{stem}.jpg') for stem in BOXES}
    annotations = {
        paths[stem]: sv.Detections(
            xyxy=np.array([[x, y, x + w, y + h] for x, y, w, h, _ in boxes], dtype=float),
            class_id=np.array([c for *_, c in boxes]),
        )
        for stem, boxes in BOXES.items()
    }
    dataset = sv.DetectionDataset(classes=CLASSES, images=list(paths.values()), annotations=annotations)
    dataset.as_yolo(
        images_directory_path=str(out / 'sv_yolo' / 'images'),
        annotations_directory_path=str(out / 'sv_yolo' / 'labels'),
        data_yaml_path=str(out / 'sv_yolo' / 'data.yaml'),
    )
    dataset.as_coco(
        images_directory_path=str(out / 'sv_coco' / 'images'),
        annotations_path=str(out / 'sv_coco' / 'annotations.json'),
    )
    dataset.as_pascal_voc(
        images_directory_path=str(out / 'sv_voc' / 'images'),
        annotations_directory_path=str(out / 'sv_voc' / 'annotations'),
    )


def datumaro(images: Path, out: Path) -> None:
    from datumaro.components.annotation import AnnotationType, Bbox, LabelCategories  # type: ignore[import-not-found]
    from datumaro.components.dataset import Dataset  # type: ignore[import-not-found]
    from datumaro.components.dataset_base import DatasetItem  # type: ignore[import-not-found]
    from datumaro.components.media import Image  # type: ignore[import-not-found]

    items = [
        DatasetItem(
            id=stem,
            subset='train' if stem == 'a' else 'val',
            media=Image.from_file(str(images / f'{stem}.jpg')),
            annotations=[Bbox(x, y, w, h, label=c) for x, y, w, h, c in boxes],
        )
        for stem, boxes in BOXES.items()
    ]
    dataset = Dataset.from_iterable(items, categories={AnnotationType.label: LabelCategories.from_iterable(CLASSES)})
    for name, fmt in (
        ('dm_coco', 'coco_instances'),
        ('dm_yolo', 'yolo'),
        ('dm_ultralytics', 'yolo_ultralytics'),
        ('dm_voc', 'voc_detection'),
    ):
        dataset.export(str(out / name), fmt, save_media=True)


if __name__ == '__main__':
    tool, images_dir, out_dir = sys.argv[1:4]
    {'supervision': supervision, 'datumaro': datumaro}[tool](Path(images_dir), Path(out_dir))
