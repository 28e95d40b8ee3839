"""Generate the benchmark dataset: N images with ~10 boxes and 2 polygons each, as COCO, YOLO and DM v2.

Each format is written directly (not through the SDK), so the inputs do not depend on the code
being measured. Images are small PNGs of three sizes, hard-linked to keep the disk use tiny.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
from pathlib import Path

from PIL import Image

SIZES = [(640, 480), (800, 600), (1024, 768)]
CLASSES = [f'class_{i:02d}' for i in range(20)]


def _polygon(rng: random.Random, w: int, h: int) -> list[tuple[float, float]]:
    cx, cy = rng.uniform(50, w - 50), rng.uniform(50, h - 50)
    points = []
    count = rng.randint(6, 10)
    for i in range(count):
        angle = 6.283185 * i / count
        radius = rng.uniform(15, 45)
        points.append(
            (
                round(cx + radius * __import__('math').cos(angle), 2),
                round(cy + radius * __import__('math').sin(angle), 2),
            )
        )
    return points


def generate(root: Path, count: int, seed: int = 0) -> None:
    rng = random.Random(seed)
    if root.exists():
        shutil.rmtree(root)
    bases = root / '_base'
    bases.mkdir(parents=True)
    for w, h in SIZES:
        Image.new('RGB', (w, h), (120, 130, 140)).save(bases / f'{w}x{h}.png')
    coco_images, coco_anns = [], []
    for sub in ('coco/images', 'yolo/images', 'yolo/labels', 'dm/json', 'dm/original_files'):
        (root / sub).mkdir(parents=True)
    ann_id = 0
    for index in range(count):
        w, h = SIZES[index % len(SIZES)]
        name = f'img_{index:06d}'
        base = bases / f'{w}x{h}.png'
        for folder in ('coco/images', 'yolo/images', 'dm/original_files'):
            os.link(base, root / folder / f'{name}.png')
        coco_images.append({'id': index + 1, 'file_name': f'{name}.png', 'width': w, 'height': h})
        rows, dm_boxes, dm_polys = [], [], []
        for k in range(rng.randint(8, 12)):
            bw, bh = rng.uniform(10, 200), rng.uniform(10, 200)
            x, y = round(rng.uniform(0, w - bw), 2), round(rng.uniform(0, h - bh), 2)
            bw, bh = round(bw, 2), round(bh, 2)
            cls = rng.randrange(len(CLASSES))
            ann_id += 1
            coco_anns.append(
                {
                    'id': ann_id,
                    'image_id': index + 1,
                    'category_id': cls + 1,
                    'bbox': [x, y, bw, bh],
                    'area': round(bw * bh, 2),
                    'iscrowd': 0,
                    'segmentation': [],
                }
            )
            rows.append(f'{cls} {(x + bw / 2) / w:.6f} {(y + bh / 2) / h:.6f} {bw / w:.6f} {bh / h:.6f}')
            dm_boxes.append(
                {'id': f'b{index}x{k}', 'classification': CLASSES[cls], 'attrs': [], 'data': [x, y, bw, bh]}
            )
        for k in range(2):
            points = _polygon(rng, w, h)
            cls = rng.randrange(len(CLASSES))
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            ann_id += 1
            coco_anns.append(
                {
                    'id': ann_id,
                    'image_id': index + 1,
                    'category_id': cls + 1,
                    'bbox': [min(xs), min(ys), round(max(xs) - min(xs), 2), round(max(ys) - min(ys), 2)],
                    'area': 1000.0,
                    'iscrowd': 0,
                    'segmentation': [[v for p in points for v in p]],
                }
            )
            rows.append(f'{cls} ' + ' '.join(f'{px / w:.6f} {py / h:.6f}' for px, py in points))
            dm_polys.append(
                {'id': f'p{index}x{k}', 'classification': CLASSES[cls], 'attrs': [], 'data': [list(p) for p in points]}
            )
        (root / 'yolo' / 'labels' / f'{name}.txt').write_text('\n'.join(rows) + '\n')
        doc = {
            'classification': {
                'bounding_box': sorted({b['classification'] for b in dm_boxes}),
                'polygon': sorted({p['classification'] for p in dm_polys}),
            },
            'images': [{'bounding_box': dm_boxes, 'polygon': dm_polys}],
        }
        (root / 'dm' / 'json' / f'{name}.json').write_text(json.dumps(doc))
    coco = {
        'info': {},
        'licenses': [],
        'images': coco_images,
        'annotations': coco_anns,
        'categories': [{'id': i + 1, 'name': n, 'supercategory': ''} for i, n in enumerate(CLASSES)],
    }
    (root / 'coco' / 'annotations.json').write_text(json.dumps(coco))
    names = '\n'.join(f'  {i}: {n}' for i, n in enumerate(CLASSES))
    (root / 'yolo' / 'dataset.yaml').write_text(
        f'path: .\ntrain: images\nval: images\nnc: {len(CLASSES)}\nnames:\n{names}\n'
    )
    # datumaro's COCO layout: annotations/instances_default.json + images/default/
    (root / 'coco_dm' / 'annotations').mkdir(parents=True)
    os.link(root / 'coco' / 'annotations.json', root / 'coco_dm' / 'annotations' / 'instances_default.json')
    (root / 'coco_dm' / 'images').mkdir()
    os.symlink(root / 'coco' / 'images', root / 'coco_dm' / 'images' / 'default')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('root', type=Path)
    parser.add_argument('--images', type=int, default=10_000)
    args = parser.parse_args()
    generate(args.root, args.images)
    print(f'generated {args.images} images under {args.root}')


if __name__ == '__main__':
    main()
