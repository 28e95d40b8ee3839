"""What real datasets contain: unannotated images, odd names, nested folders, repeated stems, VOC parts
and actions, and YOLO's 6-decimal rounding. Each is kept (or reported), never dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image

from synapse_sdk.utils.converters import get_converter, validate_dataset


def image(path: Path, size: tuple[int, int] = (64, 48)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new('RGB', size, (10, 20, 30)).save(path, 'PNG' if path.suffix.lower() == '.png' else 'JPEG')
    return path


def label(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_images_without_annotations_are_kept_with_an_empty_label_file(tmp_path: Path) -> None:
    root = tmp_path / 'yolo'
    image(root / 'images' / 'busy.jpg')
    image(root / 'images' / 'background.jpg')  # no label file at all: a negative sample
    label(root / 'labels' / 'busy.txt', '0 0.5 0.5 0.25 0.25\n')
    (root / 'classes.txt').write_text('cat\n')
    get_converter('yolo', 'coco', root_dir=root).save_to_folder(tmp_path / 'coco')
    doc = json.loads((tmp_path / 'coco' / 'annotations.json').read_text())
    assert sorted(i['file_name'] for i in doc['images']) == ['background.jpg', 'busy.jpg']
    get_converter('coco', 'yolo', root_dir=tmp_path / 'coco').save_to_folder(tmp_path / 'back')
    assert (tmp_path / 'back' / 'labels' / 'background.txt').read_text() == ''
    assert (tmp_path / 'back' / 'images' / 'background.jpg').is_file()


def test_spaces_non_ascii_and_upper_case_extensions(tmp_path: Path) -> None:
    root = tmp_path / 'yolo'
    names = ['ça va 1', '写真 2', 'IMG_0003']
    for name, ext in zip(names, ('.JPG', '.PNG', '.Jpeg'), strict=True):
        image(root / 'images' / f'{name}{ext}')
        label(root / 'labels' / f'{name}.txt', '0 0.5 0.5 0.25 0.25\n')
    (root / 'classes.txt').write_text('cat\n')
    summary = get_converter('yolo', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    assert summary.images == {'all': 3} and not summary.report.entries
    assert sorted(p.name for p in (tmp_path / 'dm' / 'original_files').iterdir()) == sorted(
        ['ça va 1.JPG', '写真 2.PNG', 'IMG_0003.Jpeg']
    )
    back = get_converter('dm_v2', 'pascal', root_dir=tmp_path / 'dm').save_to_folder(tmp_path / 'voc')
    assert back.images == {'all': 3}
    again = get_converter('pascal', 'coco', root_dir=tmp_path / 'voc').convert()
    assert again.annotations['all'] == {'bbox': 3} and not again.report.entries


def test_nested_folders_and_the_same_stem_twice(tmp_path: Path) -> None:
    root = tmp_path / 'yolo'
    for cam in ('cam1', 'cam2'):
        image(root / 'images' / 'train' / cam / '0001.jpg')
        label(root / 'labels' / 'train' / cam / '0001.txt', '0 0.5 0.5 0.25 0.25\n')
    image(root / 'images' / 'train' / 'cam1' / 'deep' / '0002.jpg')
    (root / 'data.yaml').write_text('train: images/train\nnames: [cat]\n')
    summary = get_converter('yolo', 'coco', root_dir=root).save_to_folder(tmp_path / 'coco')
    assert summary.images == {'train': 3}
    doc = json.loads((tmp_path / 'coco' / 'train' / 'annotations.json').read_text())
    assert sorted(i['file_name'] for i in doc['images']) == ['0001.jpg', '0002.jpg', 'cam2_0001.jpg']
    [renamed] = [e for e in summary.report.entries if 'also named' in e.reason]
    assert renamed.action == 'changed' and renamed.file and renamed.file.endswith('cam2/0001.jpg')
    assert len(doc['annotations']) == 2


def test_voc_parts_and_actions_are_kept(tmp_path: Path) -> None:
    root = tmp_path / 'voc'
    image(root / 'JPEGImages' / '2010_000001.jpg', (100, 80))
    (root / 'Annotations').mkdir(parents=True)
    (root / 'Annotations' / '2010_000001.xml').write_text(
        '<annotation><filename>2010_000001.jpg</filename><size><width>100</width><height>80</height></size>'
        '<object><name>person</name><bndbox><xmin>10</xmin><ymin>10</ymin><xmax>60</xmax><ymax>70</ymax></bndbox>'
        '<part><name>head</name><bndbox><xmin>20</xmin><ymin>12</ymin><xmax>30</xmax><ymax>22</ymax></bndbox></part>'
        '<actions><jumping>1</jumping><phoning>0</phoning><running>1</running></actions>'
        '</object></annotation>'
    )
    summary = get_converter('pascal', 'dm_v2', root_dir=root).save_to_folder(tmp_path / 'dm')
    doc = json.loads((tmp_path / 'dm' / 'json' / '2010_000001.json').read_text())
    boxes = {b['classification']: b for b in doc['images'][0]['bounding_box']}
    assert set(boxes) == {'person', 'head'}
    person_attrs = {a['name']: a['value'] for a in boxes['person']['attrs']}
    assert person_attrs['actions'] == ['jumping', 'running']
    head_attrs = {a['name']: a['value'] for a in boxes['head']['attrs']}
    assert head_attrs == {'part_of': 'person', 'part_of_object': 0}
    assert any('<part>' in e.reason for e in summary.report.entries)


def test_yolo_six_decimal_rounding_is_not_a_problem(tmp_path: Path) -> None:
    root = tmp_path / 'yolo'
    image(root / 'images' / 'edge.jpg', (640, 480))
    # A box touching the right and bottom edges, as 6-decimal rounding writes it (right edge 1.0000005).
    label(root / 'labels' / 'edge.txt', '0 0.921876 0.750001 0.156250 0.500000\n0 0.078124 0.5 0.156250 0.3\n')
    (root / 'classes.txt').write_text('cat\n')
    summary = get_converter('yolo', 'coco', root_dir=root).save_to_folder(tmp_path / 'coco')
    assert not summary.report.entries, summary.report.entries
    doc = json.loads((tmp_path / 'coco' / 'annotations.json').read_text())
    for ann in doc['annotations']:
        x, y, w, h = ann['bbox']
        assert x >= 0 and y >= 0 and x + w <= 640 and y + h <= 480
    assert not validate_dataset('yolo', root).report.entries
    # A DM box a float hair past the edge is clipped silently too; a real overshoot is still reported.
    get_converter('coco', 'dm_v2', root_dir=tmp_path / 'coco').save_to_folder(tmp_path / 'dm')
    path = tmp_path / 'dm' / 'json' / 'edge.json'
    dm = json.loads(path.read_text())
    dm['images'][0]['bounding_box'][0]['data'] = [540.0, 240.0, 100.00004, 240.00003]
    dm['images'][0]['bounding_box'][1]['data'] = [-5.0, 100.0, 50.0, 50.0]
    path.write_text(json.dumps(dm))
    out = get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'dm').convert()
    assert [e.reason for e in out.report.entries] == ['box clipped to the image']


def test_coco_same_stem_in_two_folders_both_kept(tmp_path: Path) -> None:
    root = tmp_path / 'coco'
    for cam in ('cam1', 'cam2'):
        image(root / 'images' / cam / '0001.jpg')
    doc = {
        'images': [
            {'id': 1, 'file_name': 'cam1/0001.jpg', 'width': 64, 'height': 48},
            {'id': 2, 'file_name': 'cam2/0001.jpg', 'width': 64, 'height': 48},
        ],
        'annotations': [
            {'id': i, 'image_id': i, 'category_id': 1, 'bbox': [1, 2, 10, 10], 'area': 100, 'iscrowd': 0}
            for i in (1, 2)
        ],
        'categories': [{'id': 1, 'name': 'cat'}],
    }
    (root / 'annotations.json').write_text(json.dumps(doc))
    summary = get_converter('coco', 'yolo', root_dir=root).save_to_folder(tmp_path / 'yolo')
    assert summary.images == {'all': 2}
    assert sorted(p.name for p in (tmp_path / 'yolo' / 'labels').iterdir()) == ['0001.txt', 'cam2_0001.txt']
    [renamed] = [e for e in summary.report.entries if 'also named' in e.reason]
    assert renamed.file and renamed.file.endswith('cam2/0001.jpg')
