"""Previews people can read: legible size, labels on a background, named keypoints, a contact sheet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PIL import Image

from synapse_sdk.utils.converters import DatasetFormatError, get_converter, preview_dataset
from synapse_sdk.utils.converters._preview import colour, display_scale


def test_display_scale_upscales_small_and_shrinks_big_images() -> None:
    assert display_scale(8, 6) == 60.0
    assert display_scale(640, 480) == 1.0
    assert display_scale(4096, 3072) == 0.25


def test_previews_and_the_contact_sheet(dm_split: Path, tmp_path: Path) -> None:
    written = preview_dataset('dm_v2', dm_split, tmp_path / 'pv', is_categorized=True, limit=3)
    assert [p.name for p in written][-1] == 'contact_sheet.png'
    pictures = written[:-1]
    assert len(pictures) == 3
    with Image.open(written[-1]) as sheet:
        # two columns of 320 px cells for three images, two rows
        assert sheet.width == 2 * (320 + 8) + 8
    for picture in pictures:
        with Image.open(picture) as image:
            assert max(image.size) == 480


def test_keypoint_names_are_drawn_beside_their_points(dm_flat: Path, tmp_path: Path) -> None:
    with_names = preview_dataset('dm_v2', dm_flat, tmp_path / 'pv', limit=1)[0]
    with Image.open(with_names) as drawn, Image.open(dm_flat / 'original_files' / 'a1.jpg') as original:
        scale = drawn.width / original.width
        # the 'left_hand' keypoint at (3, 12) gets a label box just right of and below it
        x, y = round(3 * scale) + 12, round(12 * scale) - 2
        patch = [drawn.getpixel((x + dx, y + dy)) for dx in range(0, 40, 2) for dy in range(-10, 4, 2)]
        tint = colour('person')  # the keypoint group's class colour is the label's background
        assert any(sum(abs(a - b) for a, b in zip(pixel, tint, strict=True)) < 40 for pixel in patch)
        plain = original.convert('RGB').resize(drawn.size, Image.Resampling.NEAREST)
        assert not any(
            sum(abs(a - b) for a, b in zip(plain.getpixel((x + dx, y + dy)), tint, strict=True)) < 40
            for dx in range(0, 40, 2)
            for dy in range(-10, 4, 2)
        )


def _coco_pose(root: Path, top_visible: int) -> Path:
    """A 100x80 grey image with one person: left (10, 40), right (90, 40), top (50, 10) joined left-right-top."""
    root.mkdir(parents=True)
    Image.new('RGB', (100, 80), (128, 128, 128)).save(root / 'img1.png')
    coco = {
        'images': [{'id': 1, 'file_name': 'img1.png', 'width': 100, 'height': 80}],
        'categories': [
            {'id': 1, 'name': 'person', 'keypoints': ['left', 'right', 'top'], 'skeleton': [[1, 2], [2, 3]]}
        ],
        'annotations': [
            {
                'id': 1,
                'image_id': 1,
                'category_id': 1,
                'keypoints': [10, 40, 2, 90, 40, 2, 50, 10, top_visible],
                'num_keypoints': 2 + (top_visible > 0),
            }
        ],
    }
    (root / 'annotations.json').write_text(json.dumps(coco))
    return root


def _near(pixel: tuple[int, ...], tint: tuple[int, int, int]) -> bool:
    return sum(abs(a - b) for a, b in zip(pixel, tint, strict=True)) < 30


@pytest.mark.parametrize('top_visible', [2, 0])
def test_the_coco_skeleton_is_drawn_between_visible_keypoints(tmp_path: Path, top_visible: int) -> None:
    root = _coco_pose(tmp_path / 'coco', top_visible)
    picture = preview_dataset('coco', root, tmp_path / 'pv', limit=1)[0]
    tint = colour('person')
    with Image.open(picture) as drawn:
        image = drawn.convert('RGB')
    scale = image.width / 100

    def along(a: tuple[int, int], b: tuple[int, int], t: float) -> tuple[int, ...]:
        pixel = image.getpixel((round((a[0] + (b[0] - a[0]) * t) * scale), round((a[1] + (b[1] - a[1]) * t) * scale)))
        assert isinstance(pixel, tuple)
        return pixel

    left, right, top = (10, 40), (90, 40), (50, 10)
    # The edge left-right: drawn in the class colour all along (away from the points and their labels).
    assert all(_near(along(left, right, t), tint) for t in (0.35, 0.5, 0.65))
    # The edge right-top: drawn only when both ends are visible.
    middle = [_near(along(right, top, t), tint) for t in (0.4, 0.5, 0.6)]
    assert all(middle) if top_visible else not any(middle)
    # Nothing joins left and top: there is no such edge.
    assert not _near(along(left, top, 0.5), tint)


def test_coco_round_trip_keeps_the_skeleton_and_keypoint_names(tmp_path: Path) -> None:
    root = _coco_pose(tmp_path / 'coco', 2)
    get_converter('coco', 'coco', root_dir=root).save_to_folder(tmp_path / 'again')
    (category,) = json.loads((tmp_path / 'again' / 'annotations.json').read_text())['categories']
    assert category['keypoints'] == ['left', 'right', 'top']
    assert category['skeleton'] == [[1, 2], [2, 3]]


def test_a_skeleton_edge_outside_the_keypoints_is_refused(tmp_path: Path) -> None:
    root = _coco_pose(tmp_path / 'coco', 2)
    data = json.loads((root / 'annotations.json').read_text())
    data['categories'][0]['skeleton'] = [[1, 4]]
    (root / 'annotations.json').write_text(json.dumps(data))
    with pytest.raises(DatasetFormatError, match=r'edge \[1, 4\].*outside 1\.\.3'):
        preview_dataset('coco', root, tmp_path / 'pv', limit=1)
