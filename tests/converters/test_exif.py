"""Image sizes as consumers see the photo: EXIF orientations 5-8 swap width and height."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image, ImageOps

from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters._imagesize import image_size


def _photo(path: Path, orientation: int) -> None:
    exif = Image.Exif()
    exif[0x0112] = orientation
    Image.new('RGB', (60, 40), (10, 20, 30)).save(path, 'JPEG', exif=exif.tobytes())


@pytest.mark.parametrize('orientation', range(1, 9))
def test_size_matches_pillow_exif_transpose(orientation: int, tmp_path: Path) -> None:
    _photo(tmp_path / 'p.jpg', orientation)
    with Image.open(tmp_path / 'p.jpg') as image:
        shown = ImageOps.exif_transpose(image).size
    assert image_size(tmp_path / 'p.jpg') == shown == ((40, 60) if orientation >= 5 else (60, 40))


def test_rotated_phone_photo_boxes_are_normalised_to_the_upright_image(tmp_path: Path) -> None:
    dm = tmp_path / 'dm'
    (dm / 'json').mkdir(parents=True)
    (dm / 'original_files').mkdir()
    _photo(dm / 'original_files' / 'phone.jpg', 6)  # stored 60x40, shown 40x60
    box = {'id': 'b', 'classification': 'cat', 'attrs': [], 'data': [10, 30, 20, 20]}
    (dm / 'json' / 'phone.json').write_text(json.dumps({'images': [{'bounding_box': [box]}]}))
    get_converter('dm_v2', 'yolo', root_dir=dm).save_to_folder(tmp_path / 'yolo')
    assert (tmp_path / 'yolo' / 'labels' / 'phone.txt').read_text() == '0 0.500000 0.666667 0.500000 0.333333\n'
    get_converter('dm_v2', 'coco', root_dir=dm).save_to_folder(tmp_path / 'coco')
    (image,) = json.loads((tmp_path / 'coco' / 'annotations.json').read_text())['images']
    assert (image['width'], image['height']) == (40, 60)
