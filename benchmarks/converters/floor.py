"""The floor: the least code that parses the input and writes the output, nothing else.

No validation, no report, no atomic rename, no attributes: what any converter must at least spend.
The YOLO label files are the ones the SDK writes, file for file (``run.py --check`` compares them):
a dataset with polygons is a YOLO *segment* dataset, so its boxes are written as four-corner
polygons (mixed box and polygon rows are what Ultralytics drops or misreads).
"""

from __future__ import annotations

import os
import struct
from pathlib import Path

import orjson


def _png_size(path: Path) -> tuple[int, int]:
    with open(path, 'rb') as handle:
        w, h = struct.unpack('>II', handle.read(24)[16:24])
    return int(w), int(h)


def coco_to_yolo(src: Path, out: Path) -> None:
    doc = orjson.loads((src / 'annotations.json').read_bytes())
    cats = {c['id']: i for i, c in enumerate(doc['categories'])}
    by_image: dict[int, list[dict]] = {}
    for ann in doc['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    (out / 'labels').mkdir(parents=True)
    for image in doc['images']:
        w, h = image['width'], image['height']
        rows = []
        for ann in by_image.get(image['id'], ()):
            cls = cats[ann['category_id']]
            seg = ann.get('segmentation')
            if seg:
                ring = seg[0]
                rows.append(
                    f'{cls} ' + ' '.join(f'{ring[i] / w:.6f} {ring[i + 1] / h:.6f}' for i in range(0, len(ring), 2))
                )
            else:
                x, y, bw, bh = ann['bbox']
                rows.append(_corners(cls, x, y, x + bw, y + bh, w, h))
        stem = image['file_name'].rsplit('.', 1)[0]
        with open(out / 'labels' / f'{stem}.txt', 'w') as handle:
            handle.write('\n'.join(rows) + '\n')
    with open(out / 'classes.txt', 'w') as handle:
        handle.write(''.join(c['name'] + '\n' for c in doc['categories']))


def _corners(cls: int, x0: float, y0: float, x1: float, y1: float, w: int, h: int) -> str:
    a, b, c, d = f'{x0 / w:.6f}', f'{y0 / h:.6f}', f'{x1 / w:.6f}', f'{y1 / h:.6f}'
    return f'{cls} {a} {b} {c} {b} {c} {d} {a} {d}'


def coco_to_voc(src: Path, out: Path) -> None:
    doc = orjson.loads((src / 'annotations.json').read_bytes())
    cats = {c['id']: c['name'] for c in doc['categories']}
    by_image: dict[int, list[dict]] = {}
    for ann in doc['annotations']:
        by_image.setdefault(ann['image_id'], []).append(ann)
    (out / 'Annotations').mkdir(parents=True)
    for image in doc['images']:
        parts = [
            f'<annotation><filename>{image["file_name"]}</filename><size><width>{image["width"]}</width>'
            f'<height>{image["height"]}</height><depth>3</depth></size>'
        ]
        for ann in by_image.get(image['id'], ()):
            if ann.get('segmentation'):
                continue
            x, y, bw, bh = ann['bbox']
            parts.append(
                f'<object><name>{cats[ann["category_id"]]}</name><difficult>0</difficult><bndbox>'
                f'<xmin>{round(x) + 1}</xmin><ymin>{round(y) + 1}</ymin><xmax>{round(x + bw)}</xmax>'
                f'<ymax>{round(y + bh)}</ymax></bndbox></object>'
            )
        parts.append('</annotation>')
        stem = image['file_name'].rsplit('.', 1)[0]
        with open(out / 'Annotations' / f'{stem}.xml', 'w') as handle:
            handle.write(''.join(parts))


def yolo_to_coco(src: Path, out: Path) -> None:
    names = [
        line.split(':', 1)[1].strip()
        for line in (src / 'dataset.yaml').read_text().splitlines()
        if line.startswith('  ')
    ]
    images, anns = [], []
    for index, name in enumerate(sorted(os.listdir(src / 'images'))):
        w, h = _png_size(src / 'images' / name)
        images.append({'id': index + 1, 'file_name': name, 'width': w, 'height': h})
        for line in (src / 'labels' / (name.rsplit('.', 1)[0] + '.txt')).read_text().splitlines():
            values = line.split()
            cls, coords = int(values[0]), [float(v) for v in values[1:]]
            if len(coords) == 4:
                cx, cy, bw, bh = coords
                box = [(cx - bw / 2) * w, (cy - bh / 2) * h, bw * w, bh * h]
                seg: list = []
            else:
                ring = [coords[i] * (w if i % 2 == 0 else h) for i in range(len(coords))]
                xs, ys = ring[0::2], ring[1::2]
                box = [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
                seg = [ring]
            anns.append(
                {
                    'id': len(anns) + 1,
                    'image_id': index + 1,
                    'category_id': cls + 1,
                    'bbox': box,
                    'area': box[2] * box[3],
                    'iscrowd': 0,
                    'segmentation': seg,
                }
            )
    out.mkdir(parents=True)
    doc = {'images': images, 'annotations': anns, 'categories': [{'id': i + 1, 'name': n} for i, n in enumerate(names)]}
    (out / 'annotations.json').write_bytes(orjson.dumps(doc))


def _dm_items(src: Path):  # type: ignore[no-untyped-def]
    for name in sorted(os.listdir(src / 'json')):
        stem = name[:-5]
        doc = orjson.loads((src / 'json' / name).read_bytes())
        w, h = _png_size(src / 'original_files' / f'{stem}.png')
        yield stem, doc, doc['images'][0], w, h


def dm_to_yolo(src: Path, out: Path) -> None:
    classes: dict[str, int] = {}
    (out / 'labels').mkdir(parents=True)
    for stem, doc, image, w, h in _dm_items(src):
        for names in doc.get('classification', {}).values():  # the file's declared class order first
            for name in names:
                classes.setdefault(name, len(classes))
        rows = []
        for box in image.get('bounding_box', ()):
            cls = classes.setdefault(box['classification'], len(classes))
            x, y, bw, bh = box['data']
            rows.append(_corners(cls, x, y, x + bw, y + bh, w, h))
        for poly in image.get('polygon', ()):
            cls = classes.setdefault(poly['classification'], len(classes))
            rows.append(f'{cls} ' + ' '.join(f'{px / w:.6f} {py / h:.6f}' for px, py in poly['data']))
        with open(out / 'labels' / f'{stem}.txt', 'w') as handle:
            handle.write('\n'.join(rows) + '\n')
    with open(out / 'classes.txt', 'w') as handle:
        handle.write(''.join(n + '\n' for n in classes))


def dm_to_coco(src: Path, out: Path) -> None:
    classes: dict[str, int] = {}
    images, anns = [], []
    for index, (stem, _doc, image, w, h) in enumerate(_dm_items(src)):
        images.append({'id': index + 1, 'file_name': f'{stem}.png', 'width': w, 'height': h})
        for box in image.get('bounding_box', ()):
            cls = classes.setdefault(box['classification'], len(classes))
            x, y, bw, bh = box['data']
            anns.append(
                {
                    'id': len(anns) + 1,
                    'image_id': index + 1,
                    'category_id': cls + 1,
                    'bbox': [x, y, bw, bh],
                    'area': bw * bh,
                    'iscrowd': 0,
                    'segmentation': [],
                }
            )
        for poly in image.get('polygon', ()):
            cls = classes.setdefault(poly['classification'], len(classes))
            xs, ys = [p[0] for p in poly['data']], [p[1] for p in poly['data']]
            anns.append(
                {
                    'id': len(anns) + 1,
                    'image_id': index + 1,
                    'category_id': cls + 1,
                    'bbox': [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)],
                    'area': 0,
                    'iscrowd': 0,
                    'segmentation': [[v for p in poly['data'] for v in p]],
                }
            )
    out.mkdir(parents=True)
    doc = {'images': images, 'annotations': anns, 'categories': [{'id': i + 1, 'name': n} for n, i in classes.items()]}
    (out / 'annotations.json').write_bytes(orjson.dumps(doc))


PAIRS = {
    ('coco', 'yolo'): coco_to_yolo,
    ('coco', 'pascal'): coco_to_voc,
    ('yolo', 'coco'): yolo_to_coco,
    ('dm_v2', 'yolo'): dm_to_yolo,
    ('dm_v2', 'coco'): dm_to_coco,
}
