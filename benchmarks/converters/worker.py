"""Run one conversion with one tool and print its time and peak memory as JSON (used by run.py).

Time is measured around the conversion call only (imports excluded, for every tool alike); peak
RSS is the process's high-water mark, imports included.
"""

from __future__ import annotations

import json
import resource
import sys
import time
from pathlib import Path
from typing import Any


def synapse(src: str, dst: str, data: Path, out: Path, workers: int = 1) -> None:
    from synapse_sdk.utils.converters import get_converter

    roots = {'coco': data / 'coco', 'yolo': data / 'yolo', 'dm_v2': data / 'dm', 'cvat': data / 'cvat'}
    get_converter(src, dst, root_dir=roots[src], images='none', workers=workers).save_to_folder(out)


def synapse_w2(src: str, dst: str, data: Path, out: Path) -> None:
    synapse(src, dst, data, out, workers=2)


def floor(src: str, dst: str, data: Path, out: Path) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import floor as floor_module

    roots = {'coco': data / 'coco', 'yolo': data / 'yolo', 'dm_v2': data / 'dm'}
    floor_module.PAIRS[(src, dst)](roots[src], out)


def globox(src: str, dst: str, data: Path, out: Path) -> None:
    from globox import AnnotationSet

    names = [n.strip() for n in (data / 'coco_names.txt').read_text().splitlines()]
    if src == 'coco':
        annotations = AnnotationSet.from_coco(data / 'coco' / 'annotations.json')
    else:
        annotations = AnnotationSet.from_yolo_v5(
            data / 'yolo' / 'labels', image_folder=data / 'yolo' / 'images', image_extension='.png'
        )
        annotations = annotations.map_labels({str(i): n for i, n in enumerate(names)})
    if dst == 'yolo':
        (out / 'labels').mkdir()
        annotations.save_yolo_v5(out / 'labels', label_to_id={n: i for i, n in enumerate(names)})
    elif dst == 'pascal':
        (out / 'Annotations').mkdir()
        annotations.save_pascal_voc(out / 'Annotations')
    else:
        annotations.save_coco(out / 'annotations.json', auto_ids=True)


def supervision(src: str, dst: str, data: Path, out: Path) -> None:
    import supervision as sv

    if src == 'coco':
        dataset = sv.DetectionDataset.from_coco(str(data / 'coco' / 'images'), str(data / 'coco' / 'annotations.json'))
    else:
        yolo = data / 'yolo'
        dataset = sv.DetectionDataset.from_yolo(str(yolo / 'images'), str(yolo / 'labels'), str(yolo / 'dataset.yaml'))
    out.mkdir(parents=True)
    if dst == 'yolo':
        dataset.as_yolo(annotations_directory_path=str(out / 'labels'), data_yaml_path=str(out / 'data.yaml'))
    elif dst == 'pascal':
        dataset.as_pascal_voc(annotations_directory_path=str(out / 'Annotations'))
    else:
        dataset.as_coco(annotations_path=str(out / 'annotations.json'))


def datumaro(src: str, dst: str, data: Path, out: Path) -> None:
    from datumaro.components.dataset import Dataset

    if src == 'coco':
        dataset = Dataset.import_from(str(data / 'coco_dm'), 'coco_instances')
    elif src == 'cvat':
        dataset = Dataset.import_from(str(data / 'cvat'), 'cvat')
    else:
        dataset = Dataset.import_from(str(data / 'yolo'), 'yolo')
    formats = {'yolo': 'yolo', 'pascal': 'voc_detection', 'coco': 'coco_instances', 'cvat': 'cvat'}
    dataset.export(str(out), formats[dst], save_media=False)


TOOLS: dict[str, Any] = {
    'synapse': synapse,
    'synapse-w2': synapse_w2,
    'floor': floor,
    'globox': globox,
    'supervision': supervision,
    'datumaro': datumaro,
}


PRELOAD: dict[str, list[str]] = {
    'synapse': [
        'synapse_sdk.utils.converters',
        'synapse_sdk.utils.converters._coco',
        'synapse_sdk.utils.converters._yolo',
        'synapse_sdk.utils.converters._voc',
        'synapse_sdk.utils.converters._dm_io',
        'synapse_sdk.utils.converters._cvat',
        'synapse_sdk.utils.converters._labelme',
        'synapse_sdk.utils.converters._label_studio',
        'synapse_sdk.utils.converters._yolo_obb',
        'yaml',
    ],
    'floor': ['orjson'],
    'globox': ['globox'],
    'supervision': ['supervision'],
    'datumaro': ['datumaro.components.dataset', 'datumaro.plugins'],
}
PRELOAD['synapse-w2'] = PRELOAD['synapse']


def main() -> None:
    import importlib

    tool, src, dst, data, out = sys.argv[1:6]
    for module in PRELOAD[tool]:  # imports are not part of the measured time, for every tool
        importlib.import_module(module)
    if tool in ('globox',):
        Path(out).mkdir(parents=True)
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    TOOLS[tool](src, dst, Path(data), Path(out))
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)  # worker processes (workers=N)
    main = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    system = after.ru_stime - before.ru_stime + children.ru_stime
    cpu = main + children.ru_utime + children.ru_stime
    # peak RSS of one process: this one or its largest worker
    rss = max(after.ru_maxrss, children.ru_maxrss) / 1024
    print(json.dumps({'seconds': seconds, 'cpu': cpu, 'cpu_main': main, 'cpu_system': system, 'rss_mb': rss}))


if __name__ == '__main__':
    main()
