"""Every layout real tools export is detected (format, layout, splits) and converts with all its items.

Each test builds a small dataset in the layout a tool writes (real JPEG/PNG files made with Pillow)
and checks what ``detect_layout`` names and what a conversion produces.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from typer.testing import CliRunner

from synapse_sdk.cli._main import app
from synapse_sdk.utils.converters import (
    NothingConvertedError,
    detect_layout,
    get_converter,
)

runner = CliRunner()


def image(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fmt = 'PNG' if path.suffix.lower() == '.png' else 'JPEG'
    Image.new('RGB', size, (90, 120, 150)).save(path, fmt)
    return path


def coco_doc(files: list[str], size: tuple[int, int] = (64, 48)) -> dict[str, Any]:
    """One box per image, category ids 1 (cat) and 2 (dog)."""
    images = [{'id': i + 1, 'file_name': f, 'width': size[0], 'height': size[1]} for i, f in enumerate(files)]
    anns = [
        {'id': i + 1, 'image_id': i + 1, 'category_id': 1 + i % 2, 'bbox': [4, 6, 20, 10], 'area': 200, 'iscrowd': 0}
        for i in range(len(files))
    ]
    return {'images': images, 'annotations': anns, 'categories': [{'id': 1, 'name': 'cat'}, {'id': 2, 'name': 'dog'}]}


def write_json(path: Path, doc: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc))


def dm_boxes(root: Path) -> dict[str, list[list[float]]]:
    """``{split/stem: [box data, ...]}`` of a DM v2 dataset written by a conversion."""
    found: dict[str, list[list[float]]] = {}
    for path in sorted(root.rglob('json/*.json')):
        split = path.parent.parent.relative_to(root).as_posix()
        key = f'{split}/{path.stem}' if split != '.' else path.stem
        doc = json.loads(path.read_text())
        found[key] = [b['data'] for b in doc['images'][0].get('bounding_box', [])]
    return found


# --- COCO -------------------------------------------------------------------------------------


def test_ms_coco_2017_layout(tmp_path: Path) -> None:
    root = tmp_path / 'coco2017'
    for split, stems in (('train2017', ['000000000009', '000000000025']), ('val2017', ['000000397133'])):
        for stem in stems:
            image(root / split / f'{stem}.jpg')
        write_json(root / 'annotations' / f'instances_{split}.json', coco_doc([f'{s}.jpg' for s in stems]))
    write_json(root / 'annotations' / 'captions_val2017.json', {'images': [], 'annotations': []})
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits) == ('coco', 'coco-2017', ['train', 'valid'])
    assert any('captions_val2017.json' in entry for entry in layout.unplaced)
    summary = get_converter('auto', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'train': 2, 'valid': 1}
    assert dm_boxes(tmp_path / 'dm')['valid/000000397133'] == [[4.0, 6.0, 20.0, 10.0]]
    assert not [e for e in summary.report.entries if e.action == 'skipped']
    # root_dir pointing at the annotation file itself finds the sibling image folder
    one = get_converter('coco', 'yolo', root_dir=root / 'annotations' / 'instances_val2017.json').convert()
    assert one.images == {'all': 1}


def test_coco_file_name_with_sub_folders(tmp_path: Path) -> None:
    root = tmp_path / 'coco'
    image(root / 'images' / 'cam1' / 'a.jpg')
    image(root / 'images' / 'cam2' / 'b.jpg')
    write_json(root / 'annotations.json', coco_doc(['cam1/a.jpg', 'cam2/b.jpg']))
    summary = get_converter('coco', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    assert summary.images == {'all': 2}
    assert sorted(p.name for p in (tmp_path / 'yolo' / 'labels').iterdir()) == ['a.txt', 'b.txt']


def test_roboflow_coco_export(tmp_path: Path) -> None:
    root = tmp_path / 'rf'
    for split, stems in (('train', ['a_jpg.rf.1', 'b_jpg.rf.2']), ('valid', ['c_jpg.rf.3']), ('test', ['d_jpg.rf.4'])):
        for stem in stems:
            image(root / split / f'{stem}.jpg')
        write_json(root / split / '_annotations.coco.json', coco_doc([f'{s}.jpg' for s in stems]))
    (root / 'README.roboflow.txt').write_text('exported')
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits) == ('coco', 'roboflow-coco', ['test', 'train', 'valid'])
    summary = get_converter('auto', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    assert summary.images == {'test': 1, 'train': 2, 'valid': 1}
    assert (tmp_path / 'yolo' / 'valid' / 'labels' / 'c_jpg.rf.3.txt').read_text().startswith('0 ')


def test_cvat_and_datumaro_coco_exports(tmp_path: Path) -> None:
    cvat = tmp_path / 'cvat'
    image(cvat / 'images' / 'frame_000000.PNG')
    write_json(cvat / 'annotations' / 'instances_default.json', coco_doc(['frame_000000.PNG']))
    layout = detect_layout(cvat)
    assert (layout.format, layout.layout, layout.splits) == ('coco', 'cvat-coco', [''])
    assert get_converter('auto', 'pascal', root_dir=cvat).convert().images == {'all': 1}

    datumaro = tmp_path / 'datumaro'  # Datumaro's coco exporter: annotations/instances_<subset>.json, images/<subset>/
    for subset in ('train', 'val'):
        image(datumaro / 'images' / subset / f'{subset}_1.jpg')
        write_json(datumaro / 'annotations' / f'instances_{subset}.json', coco_doc([f'{subset}_1.jpg']))
    assert detect_layout(datumaro).splits == ['train', 'valid']
    assert get_converter('auto', 'yolo', root_dir=datumaro).convert().images == {'train': 1, 'valid': 1}


def test_missing_images_are_an_error_naming_the_paths_tried(tmp_path: Path) -> None:
    root = tmp_path / 'coco2017'
    write_json(root / 'annotations' / 'instances_val2017.json', coco_doc(['000000397133.jpg']))
    (root / 'val2017').mkdir()
    elsewhere = tmp_path / 'downloads'
    image(elsewhere / '000000397133.jpg')
    with pytest.raises(NothingConvertedError) as raised:
        get_converter('coco', 'yolo', root_dir=root).convert()
    message = str(raised.value)
    assert 'no image found for 000000397133.jpg' in message
    assert 'val2017/000000397133.jpg' in message and 'annotations/000000397133.jpg' in message
    result = runner.invoke(app, ['dataset', 'convert', str(root), str(tmp_path / 'out'), '--to', 'yolo', '-q'])
    assert result.exit_code == 1 and 'pass --images DIR' in result.output and 'Traceback' not in result.output
    assert not (tmp_path / 'out').exists()
    # --images names the folder; the report entries of a partly found dataset name image paths
    ok = runner.invoke(
        app, ['dataset', 'convert', str(root), str(tmp_path / 'out'), '--to', 'yolo', '-q', '--images', str(elsewhere)]
    )
    assert ok.exit_code == 0, ok.output
    assert (tmp_path / 'out' / 'valid' / 'labels' / '000000397133.txt').is_file()
    write_json(root / 'annotations' / 'instances_val2017.json', coco_doc(['000000397133.jpg', 'gone.jpg']))
    summary = get_converter('coco', 'yolo', root_dir=root, images_dir=elsewhere).convert()
    [missing] = [e for e in summary.report.entries if e.reason == 'image file is missing']
    assert missing.file is not None and missing.file.endswith('gone.jpg')


# --- YOLO -------------------------------------------------------------------------------------


def _label(path: Path, rows: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(''.join(f'{r}\n' for r in rows))


def test_ultralytics_data_yaml_folders_keeps_val(tmp_path: Path) -> None:
    root = tmp_path / 'ul'
    for split, stems in (('train', ['a', 'b']), ('val', ['c'])):
        for stem in stems:
            image(root / 'images' / split / f'{stem}.jpg')
            _label(root / 'labels' / split / f'{stem}.txt', ['1 0.5 0.5 0.25 0.5'])
    (root / 'data.yaml').write_text(
        'path: /nowhere/moved\ntrain: images/train\nval: images/val\nnames:\n  0: cat\n  1: dog\n'
    )
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits) == ('yolo', 'ultralytics', ['train', 'valid'])
    assert layout.names == ['cat', 'dog'] and any('/nowhere/moved' in n for n in layout.notes)
    summary = get_converter('yolo', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'train': 2, 'valid': 1}  # the old reader dropped val without a word
    assert dm_boxes(tmp_path / 'dm')['valid/c'] == [[24.0, 12.0, 16.0, 24.0]]
    result = runner.invoke(app, ['dataset', 'validate', str(root), '-q'])
    assert result.exit_code == 0, result.output
    assert 'valid' in result.output


def test_ultralytics_image_lists_and_pose(tmp_path: Path) -> None:
    root = tmp_path / 'ul'
    for stem in ('a', 'b', 'c'):
        image(root / 'images' / f'{stem}.jpg')
        _label(root / 'labels' / f'{stem}.txt', ['0 0.5 0.5 0.5 0.5 0.25 0.25 2 0.75 0.75 1'])
    (root / 'train.txt').write_text('./images/a.jpg\n./images/b.jpg\n')
    (root / 'data.yaml').write_text(
        f'path: {root}\ntrain: train.txt\nval: [images/c.jpg]\ntest:\n  - val.txt\nnames: [person]\nkpt_shape: [2, 3]\n'
    )
    (root / 'val.txt').write_text(f'{root / "images" / "c.jpg"}\n')
    layout = detect_layout(root)
    assert (layout.layout, layout.splits) == ('ultralytics-lists', ['train', 'test'])
    assert any('images/c.jpg' in u for u in layout.unplaced)  # a single image file is not a split source
    summary = get_converter('yolo', 'coco', root_dir=root).convert()
    assert summary.images == {'train': 2, 'test': 1}
    assert summary.annotations['train'] == {'keypoints': 2}


def test_roboflow_yolo_export(tmp_path: Path) -> None:
    root = tmp_path / 'rf'
    for split in ('train', 'valid', 'test'):
        image(root / split / 'images' / f'{split}_x.jpg')
        _label(root / split / 'labels' / f'{split}_x.txt', ['0 0.5 0.5 0.5 0.5'])
    (root / 'data.yaml').write_text(
        "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\nnc: 1\nnames: ['fish']\n"
    )
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits) == ('yolo', 'roboflow-yolo', ['train', 'valid', 'test'])
    summary = get_converter('auto', 'coco', root_dir=root).convert()
    assert summary.images == {'train': 1, 'valid': 1, 'test': 1} and summary.classes == ['fish']


def test_darknet_yolo_export(tmp_path: Path) -> None:
    root = tmp_path / 'darknet'  # CVAT "YOLO 1.1" and Datumaro "yolo": obj.data, obj.names, obj_train_data/
    (root).mkdir()
    (root / 'obj.names').write_text('car\nbus\n')
    (root / 'obj.data').write_text('classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n')
    for stem in ('f1', 'f2'):
        image(root / 'obj_train_data' / f'{stem}.jpg')
        _label(root / 'obj_train_data' / f'{stem}.txt', ['1 0.5 0.5 0.5 0.5'])
    (root / 'train.txt').write_text('data/obj_train_data/f1.jpg\ndata/obj_train_data/f2.jpg\n')
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits, layout.names) == ('yolo', 'darknet', ['train'], ['car', 'bus'])
    summary = get_converter('auto', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'train': 2} and summary.classes == ['car', 'bus']
    assert summary.annotations['train'] == {'bbox': 2}


# --- Pascal VOC -------------------------------------------------------------------------------


def voc_xml(file_name: str, objects: str = '') -> str:
    box = '<bndbox><xmin>5</xmin><ymin>7</ymin><xmax>24</xmax><ymax>16</ymax></bndbox>'
    obj = objects or f'<object><name>cat</name>{box}</object>'
    size = '<size><width>64</width><height>48</height></size>'
    return f'<annotation><filename>{file_name}</filename>{size}{obj}</annotation>'


def test_vocdevkit_with_imagesets(tmp_path: Path) -> None:
    voc = tmp_path / 'VOCdevkit' / 'VOC2012'
    for stem in ('2008_000001', '2008_000002', '2008_000003'):
        image(voc / 'JPEGImages' / f'{stem}.jpg')
        (voc / 'Annotations').mkdir(parents=True, exist_ok=True)
        (voc / 'Annotations' / f'{stem}.xml').write_text(voc_xml(f'{stem}.jpg'))
    (voc / 'ImageSets' / 'Main').mkdir(parents=True)
    (voc / 'ImageSets' / 'Main' / 'train.txt').write_text('2008_000001\n2008_000002\n')
    (voc / 'ImageSets' / 'Main' / 'val.txt').write_text('2008_000003\n')
    (voc / 'ImageSets' / 'Main' / 'trainval.txt').write_text('2008_000001\n2008_000002\n2008_000003\n')
    for root in (tmp_path, tmp_path / 'VOCdevkit', voc):
        layout = detect_layout(root)
        assert (layout.format, layout.splits) == ('pascal', ['train', 'valid'])
    summary = get_converter('auto', 'yolo', root_dir=tmp_path).convert()
    assert summary.images == {'train': 2, 'valid': 1}


def test_roboflow_voc_xml_beside_images(tmp_path: Path) -> None:
    root = tmp_path / 'rfvoc'
    for split in ('train', 'valid'):
        image(root / split / f'{split}_1.JPG')
        (root / split / f'{split}_1.xml').write_text(voc_xml(f'{split}_1.JPG'))
    layout = detect_layout(root)
    assert (layout.format, layout.layout, layout.splits) == ('pascal', 'roboflow-voc', ['train', 'valid'])
    summary = get_converter('auto', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'train': 1, 'valid': 1}
    assert dm_boxes(tmp_path / 'dm')['train/train_1'] == [[4.0, 6.0, 20.0, 10.0]]


# --- DM ---------------------------------------------------------------------------------------


def test_split_dm_dataset_without_categorized(dm_split: Path, tmp_path: Path) -> None:
    layout = detect_layout(dm_split)
    assert (layout.format, layout.layout, layout.splits) == ('dm_v2', 'dm-splits', ['test', 'train', 'valid'])
    summary = get_converter('dm_v2', 'coco', root_dir=dm_split).save_to_folder(tmp_path / 'coco')
    assert summary.images == {'train': 2, 'valid': 1, 'test': 1}
    flat = get_converter('dm_v2', 'coco', root_dir=dm_split, is_categorized=False).convert()
    assert flat.images == {'all': 4}  # False still forces one flat dataset
    result = runner.invoke(app, ['dataset', 'convert', str(dm_split), str(tmp_path / 'y'), '--to', 'yolo', '-q'])
    assert result.exit_code == 0, result.output
    assert (tmp_path / 'y' / 'valid' / 'labels').is_dir()
    checked = runner.invoke(app, ['dataset', 'validate', str(dm_split), '-q'])
    assert checked.exit_code == 0, checked.output
    assert 'valid' in checked.output and 'test' in checked.output


# --- the detect command -----------------------------------------------------------------------


def test_detect_command_table_and_json(tmp_path: Path) -> None:
    root = tmp_path / 'coco2017'
    image(root / 'val2017' / 'x.jpg')
    image(root / 'stray' / 'y.jpg')
    write_json(root / 'annotations' / 'instances_val2017.json', coco_doc(['x.jpg']))
    table = runner.invoke(app, ['dataset', 'detect', str(root)])
    assert table.exit_code == 0, table.output
    assert 'coco (coco-2017)' in table.output and 'valid' in table.output
    assert 'not placed' in table.output and 'stray' in table.output
    as_json = runner.invoke(app, ['dataset', 'detect', str(root), '--json'])
    data = json.loads(as_json.stdout)
    assert data['format'] == 'coco' and data['splits'] == ['valid']
    assert data['parts'][0]['annotations'].endswith('instances_val2017.json')
    nothing = runner.invoke(app, ['dataset', 'detect', str(tmp_path / 'stray-empty')])
    assert nothing.exit_code == 1 and 'does not exist' in nothing.output
    (tmp_path / 'empty').mkdir()
    unknown = runner.invoke(app, ['dataset', 'detect', str(tmp_path / 'empty')])
    assert unknown.exit_code == 1 and 'found no' in unknown.output and 'Traceback' not in unknown.output


def test_an_empty_dataset_is_an_error_not_an_empty_output(tmp_path: Path) -> None:
    root = tmp_path / 'coco'
    write_json(root / 'annotations.json', {'images': [], 'annotations': [], 'categories': []})
    with pytest.raises(NothingConvertedError, match='found no coco items'):
        get_converter('coco', 'yolo', root_dir=root).save_to_folder(tmp_path / 'out')
    assert not (tmp_path / 'out').exists()
    result = runner.invoke(app, ['dataset', 'convert', str(root), str(tmp_path / 'out'), '--to', 'dm_v2', '-q'])
    assert result.exit_code == 1 and 'synapse dataset detect' in result.output
