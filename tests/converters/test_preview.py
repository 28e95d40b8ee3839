"""Previews people can read: legible size, labels on a background, named keypoints, a contact sheet."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from synapse_sdk.utils.converters import preview_dataset
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
