"""Small DM datasets written by hand, with real image files, for the converter tests."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

SIZES = {'a': (64, 48), 'b': (100, 80), 'c': (80, 60), 'd': (120, 90)}


def write_image(path: Path, size: tuple[int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = 'PNG' if path.suffix == '.png' else 'JPEG'
    Image.new('RGB', size, (90, 120, 150)).save(path, fmt)


def ann(ann_id: str, label: str, data: Any, attrs: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        'id': ann_id,
        'classification': label,
        'attrs': [{'name': k, 'value': v} for k, v in (attrs or {}).items()],
        'data': data,
    }


def rich_image(prefix: str) -> dict[str, list[dict[str, Any]]]:
    """Every tool: boxes with attributes, a polygon, a keypoint group, a tag, a mask, a polyline."""
    return {
        'bounding_box': [
            ann(f'{prefix}bx1', 'car', [10, 5, 20, 10], {'color': 'red', 'occluded': True}),
            ann(f'{prefix}bx2', 'person', [30.5, 12.25, 8, 16]),
            ann(f'{prefix}bx3', 'person', [2, 2, 12, 20]),
        ],
        'polygon': [ann(f'{prefix}pg1', 'road', [[0, 30], [40, 30], [40, 44], [0, 44]], {'surface': 'asphalt'})],
        'keypoint': [
            ann(f'{prefix}kp1', 'head', [8, 4]),
            ann(f'{prefix}kp2', 'left_hand', [3, 12]),
            ann(f'{prefix}kp3', 'right_hand', [13, 12], {'visibility': 1}),
        ],
        'group': [ann(f'{prefix}gp1', 'person', [f'{prefix}bx3', f'{prefix}kp1', f'{prefix}kp2', f'{prefix}kp3'])],
        'classification': [ann(f'{prefix}cl1', 'outdoor', {}, {'weather': 'sunny'})],
        'segmentation': [ann(f'{prefix}sg1', 'sky', [0, 1, 2, 64, 65, 66])],
        'polyline': [ann(f'{prefix}pl1', 'lane', [[1, 2], [30, 40]])],
    }


def simple_image(prefix: str) -> dict[str, list[dict[str, Any]]]:
    return {
        'bounding_box': [ann(f'{prefix}bx1', 'truck', [40, 20, 30, 25], {'color': 'blue'})],
        'polygon': [ann(f'{prefix}pg1', 'car', [[5, 5], [25, 5], [15, 30]])],
    }


def v2_doc(image: dict[str, Any]) -> dict[str, Any]:
    classes: dict[str, list[str]] = {}
    for tool, anns in image.items():
        classes[tool] = list(dict.fromkeys(a['classification'] for a in anns))
    return {'classification': classes, 'images': [image]}


def write_dm(root: Path, files: dict[str, tuple[dict[str, Any], str]], split: str = '') -> None:
    """``files``: stem -> (v2 document or v1 document, image file name)."""
    base = root / split if split else root
    for stem, (doc, image_name) in files.items():
        (base / 'json').mkdir(parents=True, exist_ok=True)
        (base / 'json' / f'{stem}.json').write_text(json.dumps(doc), encoding='utf-8')
        write_image(base / 'original_files' / image_name, SIZES[stem[0]])


@pytest.fixture
def dm_flat(tmp_path: Path) -> Path:
    root = tmp_path / 'dm_flat'
    write_dm(root, {'a1': (v2_doc(rich_image('A')), 'a1.jpg'), 'b1': (v2_doc(simple_image('B')), 'b1.png')})
    return root


@pytest.fixture
def dm_split(tmp_path: Path) -> Path:
    root = tmp_path / 'dm_split'
    write_dm(root, {'a1': (v2_doc(rich_image('A')), 'a1.jpg'), 'b1': (v2_doc(simple_image('B')), 'b1.png')}, 'train')
    write_dm(root, {'c1': (v2_doc(simple_image('C')), 'c1.jpg')}, 'valid')
    write_dm(root, {'d1': (v2_doc(rich_image('D')), 'd1.jpg')}, 'test')
    return root


V1_DOC: dict[str, Any] = {
    'annotations': {
        'image_1': [
            {
                'id': 'Ab12Cd34Ef',
                'tool': 'bounding_box',
                'isLocked': True,
                'isVisible': True,
                'isValid': False,
                'isDrawCompleted': True,
                'classification': {'class': 'car', 'color': 'red'},
                'label': ['car', 'red'],
            },
            {
                'id': 'Pq12Rs34Tu',
                'tool': 'polygon',
                'isLocked': False,
                'isVisible': False,
                'isValid': True,
                'isDrawCompleted': True,
                'classification': {'class': 'road'},
                'label': ['road'],
            },
            {
                'id': 'Cl12Cl34Cl',
                'tool': 'classification',
                'isLocked': False,
                'isVisible': True,
                'isValid': True,
                'isDrawCompleted': True,
                'classification': {'class': 'outdoor', 'weather': 'sunny'},
                'label': ['outdoor'],
            },
        ]
    },
    'annotationsData': {
        'image_1': [
            {'id': 'Ab12Cd34Ef', 'coordinate': {'x': 10, 'y': 20, 'width': 30, 'height': 15, 'rotation': 0.3}},
            {
                'id': 'Pq12Rs34Tu',
                'coordinate': [
                    {'x': 1, 'y': 2, 'id': 'p1'},
                    {'x': 40, 'y': 2, 'id': 'p2'},
                    {'x': 20, 'y': 30, 'id': 'p3'},
                ],
            },
            {'id': 'Cl12Cl34Cl'},
        ]
    },
    'extra': {'note': 'kept'},
    'relations': {},
    'annotationGroups': {},
    'assignmentId': 42,
}


@pytest.fixture
def dm_v1_flat(tmp_path: Path) -> Path:
    root = tmp_path / 'dm_v1'
    write_dm(root, {'a1': (V1_DOC, 'a1.jpg'), 'b1': (V1_DOC, 'b1.jpg')})
    return root


Shape = tuple[Any, ...]


def dm_shapes(root: Path, version: str = 'v2') -> dict[str, list[Shape]]:
    """Every annotation of a DM dataset as comparable tuples, per ``split/stem``."""
    from synapse_sdk.utils.converters._dm_io import DMReader
    from synapse_sdk.utils.converters._model import Box, Keypoints, Mask, Polygon, Tag
    from synapse_sdk.utils.converters._report import Report

    categorized = not (root / 'json').is_dir()
    reader = DMReader(root, is_categorized=categorized, report=Report(strict=True), dm_version=version)
    out: dict[str, list[Shape]] = {}
    for item in reader.items():
        shapes: list[Shape] = []
        for a in item.annotations:
            if isinstance(a, Box):
                shapes.append(('bbox', a.label, a.x, a.y, a.w, a.h, tuple(sorted(a.attrs.items()))))
            elif isinstance(a, Polygon):
                shapes.append(('polygon', a.label, tuple(a.points), tuple(sorted(a.attrs.items()))))
            elif isinstance(a, Keypoints):
                pts = tuple((p.name, p.x, p.y, p.v) for p in a.points)
                shapes.append(('keypoints', a.label, a.box, pts))
            elif isinstance(a, Mask):
                shapes.append(('mask', a.label, tuple(a.pixels)))
            elif isinstance(a, Tag):
                shapes.append(('tag', a.label, tuple(sorted(a.attrs.items()))))
            else:
                shapes.append((type(a).__name__.lower(), getattr(a, 'label', None)))
        out[f'{item.split}/{item.name}'] = sorted(shapes, key=repr)
    return out


def close(a: Any, b: Any, tol: float) -> bool:
    """Nested equality with numbers within ``tol``."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) <= tol
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(close(x, y, tol) for x, y in zip(a, b, strict=True))
    return bool(a == b)


@pytest.fixture
def shapes() -> Callable[..., dict[str, list[Shape]]]:
    return dm_shapes


@pytest.fixture
def approx_equal() -> Callable[[Any, Any, float], bool]:
    return close


@pytest.fixture
def v1_doc() -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(json.dumps(V1_DOC))
    return doc


@pytest.fixture
def image_file() -> Callable[[Path, tuple[int, int]], None]:
    return write_image


# --- peer tools (consumers of what we write), each in its own throw-away environment ---------------

PEER_CACHE = Path(os.environ.get('SYNAPSE_TEST_CACHE', Path.home() / '.cache' / 'synapse-sdk-tests'))
ULTRALYTICS = 'ultralytics==8.4.190'
# torch 2.13.0 is the CPU wheel pip takes from this machine's disk for Python 3.11 (uv would download
# a CUDA build of several GB); ultralytics goes in without its dependencies, plus only what its data
# checks import. torchvision is only looked up by version at import time.
TORCH = 'torch==2.13.0'
ULTRALYTICS_DEPS = (
    'torchvision==0.28.0',
    'numpy',
    'opencv-python-headless',
    'pillow',
    'pyyaml',
    'psutil',
    'requests',
    'matplotlib',
    'scipy',
    'polars',
    'ultralytics-thop',
)
PEERS = ('datumaro==1.13.12', 'supervision==0.31.2', 'pycocotools==2.0.11')


def _build_ultralytics_env(venv: Path) -> None:
    python311 = shutil.which('python3.11')
    if python311 is None:
        raise RuntimeError('the Ultralytics checks need python3.11 (torch 2.13.0 CPU wheel) on PATH')
    partial = venv.with_name(venv.name + f'.partial-{os.getpid()}')
    shutil.rmtree(partial, ignore_errors=True)
    subprocess.run([python311, '-m', 'venv', str(partial)], check=True)
    pip = [str(partial / 'bin' / 'python'), '-m', 'pip', 'install', '--quiet', '--disable-pip-version-check']
    subprocess.run([*pip, TORCH], check=True)
    subprocess.run([*pip, '--no-deps', ULTRALYTICS, ULTRALYTICS_DEPS[0]], check=True)
    subprocess.run([*pip, *ULTRALYTICS_DEPS[1:]], check=True)
    # venvs hard-code their own path in scripts, but ``bin/python`` works from anywhere: rename is fine
    os.rename(partial, venv)


@pytest.fixture(scope='session')
def ultralytics_python() -> Path:
    """A Python with real Ultralytics (and CPU torch), built once and cached between runs."""
    import fcntl

    key = f'ultralytics-{ULTRALYTICS.split("==")[1]}-{TORCH.replace("==", "-")}-py311'
    venv = PEER_CACHE / key
    PEER_CACHE.mkdir(parents=True, exist_ok=True)
    with open(PEER_CACHE / f'{key}.lock', 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time, even across parallel test runs
        if not (venv / 'bin' / 'python').exists():
            _build_ultralytics_env(venv)
    return venv / 'bin' / 'python'


def _run_peer(python: list[str], script: str, *args: str, tmp: Path) -> Any:
    """Run ``script`` with a peer's Python; it prints one JSON value on its last line."""
    path = tmp / 'peer_script.py'
    path.write_text(script, encoding='utf-8')
    env = {**os.environ, 'YOLO_CONFIG_DIR': str(tmp / 'ultralytics-config'), 'YOLO_OFFLINE': '1'}
    done = subprocess.run([*python, str(path), *args], capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='session')
def peer_python() -> list[str]:
    """Datumaro, supervision and pycocotools in one uv-cached environment outside the workspace lock."""
    if shutil.which('uv') is None:
        raise RuntimeError('uv is needed to run the peer tools')
    command = ['uv', 'run', '--no-project', '--quiet']
    for peer in PEERS:
        command += ['--with', peer]
    return [*command, 'python']


@pytest.fixture
def run_peer() -> Callable[..., Any]:
    """``run_peer(python, script, *args, tmp=tmp_path)``: the JSON a peer script prints last."""
    return _run_peer
