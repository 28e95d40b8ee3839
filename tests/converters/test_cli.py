"""``synapse dataset convert | validate | preview`` as a user types them."""

from __future__ import annotations

import json
from pathlib import Path

from PIL import Image
from typer.testing import CliRunner

from synapse_sdk.cli._main import app

runner = CliRunner()


def test_convert_prints_a_summary_and_writes_the_report(dm_split: Path, tmp_path: Path) -> None:
    out, report = tmp_path / 'coco', tmp_path / 'report.json'
    args = ['dataset', 'convert', '--from', 'dm_v2', '--to', 'coco', str(dm_split), str(out), '--categorized']
    result = runner.invoke(app, [*args, '--report', str(report)])
    assert result.exit_code == 0, result.output
    assert (out / 'train' / 'annotations.json').is_file()
    assert 'dm_v2 -> coco' in result.output and 'bbox' in result.output
    data = json.loads(report.read_text())
    assert data['images'] == {'train': 2, 'valid': 1, 'test': 1}
    assert data['report']['counts'] == {'lost': 2}  # the two polylines


def test_convert_user_mistakes_exit_1_without_traceback(dm_flat: Path, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ['dataset', 'convert', '--from', 'dm_v2', '--to', 'tfrecord', str(dm_flat), str(tmp_path / 'x')]
    )
    assert result.exit_code == 1
    assert "unknown dataset format 'tfrecord'" in result.output and 'Traceback' not in result.output
    result = runner.invoke(
        app, ['dataset', 'convert', '-f', 'yolo', '-t', 'coco', str(tmp_path / 'nope'), str(tmp_path / 'x')]
    )
    assert result.exit_code == 1 and 'does not exist' in result.output
    (dm_flat / 'json' / 'a1.json').write_text('{"images": [{"bounding_box": [{"data": [1]}]}]}')
    result = runner.invoke(
        app, ['dataset', 'convert', '-f', 'dm_v2', '-t', 'yolo', '--strict', '-q', str(dm_flat), str(tmp_path / 'y')]
    )
    assert result.exit_code == 1 and 'a1.json' in result.output
    assert not (tmp_path / 'y').exists()


def test_validate_reports_problems_with_exit_code(dm_flat: Path, tmp_path: Path) -> None:
    clean = runner.invoke(app, ['dataset', 'validate', '--format', 'dm_v2', str(dm_flat)])
    assert clean.exit_code == 0, clean.output
    assert 'no problems found' in clean.output
    (dm_flat / 'original_files' / 'b1.png').unlink()
    broken = runner.invoke(app, ['dataset', 'validate', '--format', 'dm_v2', str(dm_flat)])
    assert broken.exit_code == 1
    assert 'image file is missing' in broken.output and '1 problem(s) found' in broken.output


def test_preview_draws_annotations(dm_flat: Path, tmp_path: Path) -> None:
    result = runner.invoke(app, ['dataset', 'preview', '--format', 'dm_v2', str(dm_flat), str(tmp_path / 'pv')])
    assert result.exit_code == 0, result.output
    files = sorted((tmp_path / 'pv').glob('*.png'))
    assert [f.name for f in files] == ['a1.png', 'b1.png', 'contact_sheet.png']
    with Image.open(files[0]) as drawn, Image.open(dm_flat / 'original_files' / 'a1.jpg') as original:
        # small images are upscaled to a legible size (nearest neighbour: pixels stay crisp)
        scale = drawn.width / original.width
        assert max(drawn.size) == 480 and scale > 1
        plain = original.convert('RGB')
        # the car box outline (x 10..30, y 5) is drawn over the plain background
        assert drawn.getpixel((round(20 * scale), round(5 * scale))) != plain.getpixel((20, 5))
        assert drawn.getpixel((round(60 * scale), round(2 * scale))) == plain.getpixel((60, 2))


def test_help_lists_the_dataset_commands() -> None:
    result = runner.invoke(app, ['dataset', '--help'])
    assert result.exit_code == 0
    assert all(name in result.output for name in ('convert', 'validate', 'preview'))
