"""YOLO OBB checked against Ultralytics itself: its OBB dataset loader reads our rows as our rotated
boxes, and rows made by its own ``xywhr2xyxyxyxy`` read back as the box it started from.

Ultralytics needs torch; the environment is the one the YOLO consumer checks build (CPU torch,
cached in ``~/.cache/synapse-sdk-tests``): the session fixture ``ultralytics_python`` in conftest.py.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from pathlib import Path

import yaml

from synapse_sdk.utils.converters._base import ClassMap
from synapse_sdk.utils.converters._formats import READERS, WRITERS
from synapse_sdk.utils.converters._model import Box, Item
from synapse_sdk.utils.converters._report import ConversionSummary, Report

LOAD = r"""
import json, sys
import numpy as np
from ultralytics.data.dataset import YOLODataset
from ultralytics.data.utils import check_det_dataset
from ultralytics.utils.ops import xyxyxyxy2xywhr
data = check_det_dataset(sys.argv[1])
ds = YOLODataset(img_path=data["train"], data=data, task="obb", augment=False)
out = {}
for label in ds.labels:
    h, w = label["shape"]
    corners = np.asarray(label["segments"], dtype=np.float64).reshape(-1, 8) * np.array([w, h] * 4)
    out[label["im_file"].rsplit("/", 1)[-1]] = {
        "cls": label["cls"].reshape(-1).astype(int).tolist(),
        "xywhr": xyxyxyxy2xywhr(corners).tolist() if len(corners) else [],
    }
print(json.dumps(out))
"""

CORNERS = r"""
import json, sys
import numpy as np
from ultralytics.utils.ops import xywhr2xyxyxyxy
boxes = np.array(json.loads(sys.argv[1]), dtype=np.float64)
print(json.dumps(xywhr2xyxyxyxy(boxes).reshape(-1, 8).tolist()))
"""


def _run(python: Path, script: str, *args: str, tmp: Path) -> object:
    env = {**os.environ, 'YOLO_CONFIG_DIR': str(tmp / 'ultralytics-config'), 'YOLO_OFFLINE': '1'}
    done = subprocess.run([str(python), '-c', script, *args], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_ultralytics_loads_our_obb_rows_as_our_rotated_boxes(ultralytics_python: Path, tmp_path: Path) -> None:
    from PIL import Image

    Image.new('RGB', (200, 100)).save(tmp_path / 'a.png')
    out = tmp_path / 'obb'
    out.mkdir()
    writer = WRITERS.load('yolo_obb')(
        out, report=Report(strict=True), classes=ClassMap(), summary=ConversionSummary('dm', 'obb'), final=out
    )
    boxes = [
        Box('plane', 40, 30, 60, 20, {'rotation': 0.3}),
        Box('ship', 120, 40, 30, 14),
        Box('car', 80, 60, 24, 10, {'rotation': -1.2}),
    ]
    writer.write(Item('a', 'train', tmp_path / 'a.png', 200, 100, list(boxes)))
    writer.close()
    writer.finish(out, out)
    config = yaml.safe_load((out / 'dataset.yaml').read_text())
    config.setdefault('val', config['train'])  # Ultralytics requires a val key
    (out / 'dataset.yaml').write_text(yaml.safe_dump(config))
    seen = _run(ultralytics_python, LOAD, str(out / 'dataset.yaml'), tmp=tmp_path)
    assert isinstance(seen, dict)
    found = seen['a.png']
    assert found['cls'] == [0, 1, 2]
    for box, (cx, cy, w, h, r) in zip(boxes, found['xywhr'], strict=True):
        ours = (box.x + box.w / 2, box.y + box.h / 2, box.w, box.h)
        assert all(math.isclose(a, b, abs_tol=1e-3) for a, b in zip((cx, cy, w, h), ours, strict=True))
        # Ultralytics gives the angle in [0, pi/2) with w/h swapped when needed; equal up to pi
        assert math.isclose(math.remainder(r - box.attrs.get('rotation', 0.0), math.pi), 0.0, abs_tol=1e-4)


def test_rows_from_ultralytics_corners_read_back_as_the_box(ultralytics_python: Path, tmp_path: Path) -> None:
    from PIL import Image

    rboxes = [[100, 50, 40, 10, -0.7], [30, 20, 16, 8, 0.0], [150, 70, 20, 30, 1.0]]
    corners = _run(ultralytics_python, CORNERS, json.dumps(rboxes), tmp=tmp_path)
    assert isinstance(corners, list)
    (tmp_path / 'images').mkdir()
    Image.new('RGB', (200, 100)).save(tmp_path / 'images' / 'a.png')
    (tmp_path / 'labels').mkdir()
    rows = [' '.join(['0'] + [f'{v / (200 if i % 2 == 0 else 100):.6f}' for i, v in enumerate(c)]) for c in corners]
    (tmp_path / 'labels' / 'a.txt').write_text('\n'.join(rows) + '\n')
    (tmp_path / 'dataset.yaml').write_text('train: images\nval: images\nnames: [plane]\n')
    report = Report(strict=True)
    (item,) = READERS.load('yolo_obb')(tmp_path, is_categorized=False, report=report).items()
    for box, (cx, cy, w, h, r) in zip(item.annotations, rboxes, strict=True):
        assert isinstance(box, Box)
        assert all(
            math.isclose(a, b, abs_tol=2e-3)
            for a, b in zip((box.x + box.w / 2, box.y + box.h / 2, box.w, box.h), (cx, cy, w, h), strict=True)
        )
        assert math.isclose(box.attrs.get('rotation', 0.0), r, abs_tol=1e-4)
