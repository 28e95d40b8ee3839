"""The registry is the one list of formats: a format registered at run time works everywhere."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synapse_sdk.cli._dataset import _complete
from synapse_sdk.cli._main import app
from synapse_sdk.utils.converters import DatasetFormat, get_converter, validate_dataset
from synapse_sdk.utils.converters._base import Reader, Writer
from synapse_sdk.utils.converters._formats import READERS, WRITERS, dm_version, format_names, register_format
from synapse_sdk.utils.converters._model import Box, Item
from synapse_sdk.utils.converters._support import replace_matrix, support_matrix
from synapse_sdk.utils.converters.errors import UnsupportedFormatError

runner = CliRunner()
PAGE = Path(__file__).resolve().parents[2] / 'docs' / 'converters.md'


class BoxesReader(Reader):
    """``boxes.jsonl``: one ``{"image", "boxes": [[label, x, y, w, h]]}`` per line, images beside it."""

    def count(self) -> int:
        return sum(1 for _ in (self.root / 'boxes.jsonl').open())

    def items(self) -> Iterator[Item]:
        for line in (self.root / 'boxes.jsonl').read_text().splitlines():
            row = json.loads(line)
            image = self.root / row['image']
            boxes = [Box(label, x, y, w, h) for label, x, y, w, h in row['boxes']]
            yield Item(image.stem, '', image, annotations=list(boxes))


class BoxesWriter(Writer):
    holds = frozenset({'bbox'})

    def write(self, item: Item) -> None:
        if not self.ensure_size(item):
            return
        assert item.image is not None
        boxes = [[a.label, a.x, a.y, a.w, a.h] for a in item.annotations if isinstance(a, Box)]
        with (self.out / 'boxes.jsonl').open('a') as handle:
            handle.write(json.dumps({'image': item.image.name, 'boxes': boxes}) + '\n')
        (self.out / item.image.name).write_bytes(item.image.read_bytes())
        self.summary.images['all'] = self.summary.images.get('all', 0) + 1
        for a in item.annotations:
            self.classes.id(getattr(a, 'label', ''))


@pytest.fixture
def boxes_format() -> Iterator[str]:
    register_format('boxesjsonl', BoxesReader, BoxesWriter, aliases=('bjl',))
    yield 'boxesjsonl'
    READERS.unregister('boxesjsonl')
    WRITERS.unregister('boxesjsonl')


def test_a_format_registered_at_run_time_converts_validates_and_is_listed(
    boxes_format: str, dm_flat: Path, tmp_path: Path, shapes: Any
) -> None:
    # Before: get_converter checked the closed DatasetFormat enum and refused every registered name.
    summary = get_converter('dm_v2', boxes_format, root_dir=dm_flat).save_to_folder(tmp_path / 'b')
    assert summary.total_images == 2 and summary.target == 'boxesjsonl'
    assert validate_dataset('bjl', tmp_path / 'b').total_images == 2
    get_converter('bjl', 'dm_v2', root_dir=tmp_path / 'b').save_to_folder(tmp_path / 'dm')
    boxes = {k: [s for s in v if s[0] == 'bbox'] for k, v in shapes(dm_flat).items()}
    back = shapes(tmp_path / 'dm')
    assert {k: [s[:6] for s in v] for k, v in back.items()} == {k: [s[:6] for s in v] for k, v in boxes.items()}
    assert '`boxesjsonl`' in support_matrix()
    assert boxes_format in format_names('read') and 'bjl' in format_names('write', include_aliases=True)
    result = runner.invoke(
        app, ['dataset', 'convert', '--from', 'bjl', '--to', 'yolo', str(tmp_path / 'b'), str(tmp_path / 'y')]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / 'y' / 'labels' / 'a1.txt').read_text().count('\n') == 2
    listed = runner.invoke(app, ['dataset', 'formats'])
    assert listed.exit_code == 0 and 'boxesjsonl' in listed.output and 'bjl' in listed.output
    assert 'boxesjsonl' in _complete('write')('box')


def test_dm_versions_come_from_the_readers_and_writers() -> None:
    assert dm_version('dm', READERS) == 'v2' and dm_version('dm_v1', WRITERS) == 'v1'
    assert dm_version('cvat', WRITERS) is None
    assert [n for n in format_names() if dm_version(n, READERS)] == ['dm_v1', 'dm_v2']
    assert DatasetFormat.CVAT.value == 'cvat' and DatasetFormat('yolo_obb') is DatasetFormat.YOLO_OBB


def test_a_reader_only_format_says_it_cannot_be_written(boxes_format: str, tmp_path: Path) -> None:
    WRITERS.unregister(boxes_format)
    with pytest.raises(UnsupportedFormatError, match="'boxesjsonl' cannot be written"):
        get_converter('dm_v2', boxes_format, root_dir=tmp_path)


def test_completion_offers_registered_names_and_aliases() -> None:
    assert _complete('read')('la') == ['label-me', 'label-studio', 'label_me', 'label_studio', 'labelme', 'labelstudio']
    assert 'cvat' in _complete('write')('CV')


def test_the_docs_support_matrix_is_the_generated_one() -> None:
    text = PAGE.read_text(encoding='utf-8')
    assert replace_matrix(text) == text, 'run: uv run python scripts/gen_support_matrix.py'


@pytest.mark.parametrize('fmt', ['cvat', 'labelme', 'label_studio', 'yolo_obb', 'image_folder'])
def test_new_formats_convert_validate_and_preview_from_the_cli(fmt: str, dm_split: Path, tmp_path: Path) -> None:
    out = tmp_path / fmt
    result = runner.invoke(
        app, ['dataset', 'convert', '-q', '--from', 'dm', '--to', fmt, str(dm_split), str(out), '--categorized']
    )
    assert result.exit_code == 0, result.output
    checked = runner.invoke(app, ['dataset', 'validate', '-q', '--format', fmt, str(out), '--categorized'])
    assert checked.exit_code == 0 and 'no problems found' in checked.output, checked.output
    drawn = runner.invoke(app, ['dataset', 'preview', '--format', fmt, str(out), str(tmp_path / 'p'), '--categorized'])
    assert drawn.exit_code == 0 and len(list((tmp_path / 'p').glob('*.png'))) >= 2, drawn.output
