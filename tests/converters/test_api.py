"""The seed's "Dataset Converters" section, run as written, and the API promises around it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synapse_sdk.utils.converters import (
    COCOToDMConverter,
    DatasetFormat,
    DatasetFormatError,
    DatasetLayoutError,
    FromDMToCOCOConverter,
    FromDMToPascalConverter,
    FromDMToYOLOConverter,
    OutputExistsError,
    PascalToDMConverter,
    UnsupportedFormatError,
    YOLOToDMConverter,
    get_converter,
)


def test_seed_example_dm_v2_to_yolo_with_splits(dm_split: Path, tmp_path: Path) -> None:
    converter = get_converter(source='dm_v2', target='yolo', root_dir=str(dm_split), is_categorized=True)
    result = converter.convert()
    converter.save_to_folder(tmp_path / 'yolo_output')
    out = tmp_path / 'yolo_output'
    assert result.images == {'train': 2, 'valid': 1, 'test': 1}
    assert (out / 'train' / 'labels' / 'a1.txt').is_file()
    assert (out / 'valid' / 'images' / 'c1.jpg').is_file()
    assert (out / 'test' / 'images' / 'd1.jpg').is_file()
    yaml_text = (out / 'dataset.yaml').read_text()
    assert 'path:' not in yaml_text  # no absolute path: Ultralytics resolves the splits next to the YAML
    assert 'train: train/images' in yaml_text and 'val: valid/images' in yaml_text and 'test: test/images' in yaml_text


def test_seed_example_yolo_to_dm_v2(dm_flat: Path, tmp_path: Path) -> None:
    get_converter('dm_v2', 'yolo', root_dir=dm_flat).save_to_folder(tmp_path / 'yolo_dataset')
    converter = get_converter(source='yolo', target='dm_v2', root_dir=tmp_path / 'yolo_dataset', is_categorized=False)
    converter.convert()
    converter.save_to_folder(tmp_path / 'dm_output')
    doc = json.loads((tmp_path / 'dm_output' / 'json' / 'a1.json').read_text())
    assert set(doc) == {'classification', 'images'}
    # a1 holds polygons, so YOLO is a segment dataset there: boxes travel as their four corners
    assert doc['images'][0]['polygon'][0]['classification'] == 'car'
    get_converter('dm_v2', 'yolo', root_dir=dm_flat, task='detect').save_to_folder(tmp_path / 'detect')
    get_converter('yolo', 'dm_v2', root_dir=tmp_path / 'detect').save_to_folder(tmp_path / 'dm_detect')
    doc = json.loads((tmp_path / 'dm_detect' / 'json' / 'a1.json').read_text())
    assert doc['images'][0]['bounding_box'][0]['classification'] == 'car'
    assert (tmp_path / 'dm_output' / 'original_files' / 'a1.jpg').is_file()


def test_named_classes_and_format_enum(dm_flat: Path, tmp_path: Path) -> None:
    pairs = [
        (FromDMToYOLOConverter, YOLOToDMConverter),
        (FromDMToCOCOConverter, COCOToDMConverter),
        (FromDMToPascalConverter, PascalToDMConverter),
    ]
    for to_x, from_x in pairs:
        out = tmp_path / to_x.__name__
        summary = to_x(root_dir=dm_flat, is_categorized=False).save_to_folder(out)
        assert summary.total_images == 2
        back = from_x(root_dir=out, is_categorized=False).save_to_folder(tmp_path / f'{to_x.__name__}_back')
        assert back.total_images == 2
    converter = get_converter(DatasetFormat.DM_V2, DatasetFormat.COCO, root_dir=Path(dm_flat))
    assert isinstance(converter, FromDMToCOCOConverter)
    assert DatasetFormat('pascal') is DatasetFormat.PASCAL and str(DatasetFormat.YOLO) == 'yolo'


def test_format_aliases_and_unknown_names() -> None:
    assert get_converter('dm', 'voc', root_dir='.').target == 'pascal'
    with pytest.raises(ValueError, match='unknown dataset format'):
        get_converter('dm_v2', 'tfrecord', root_dir='.')
    with pytest.raises(UnsupportedFormatError):
        get_converter('tfrecord', 'yolo', root_dir='.')


def test_dm_version_in_the_format_name_is_used(dm_flat: Path, dm_v1_flat: Path, tmp_path: Path) -> None:
    v1 = get_converter('dm_v1', 'coco', root_dir=dm_v1_flat)
    assert v1.source == 'dm_v1'
    summary = v1.save_to_folder(tmp_path / 'from_v1')
    assert summary.annotations['all'] == {'bbox': 2, 'polygon': 2, 'tag': 2}
    with pytest.raises(DatasetFormatError, match='looks like DM v2: use dm_v2'):
        get_converter('dm_v1', 'yolo', root_dir=dm_flat).convert()
    with pytest.raises(DatasetFormatError, match='looks like DM v1: use dm_v1'):
        get_converter('dm_v2', 'yolo', root_dir=dm_v1_flat).convert()
    with pytest.raises(UnsupportedFormatError):
        get_converter('dm_v1', 'yolo', root_dir=dm_v1_flat, dm_version='v2')


def test_missing_layout_folders_raise_file_not_found(tmp_path: Path) -> None:
    (tmp_path / 'ds' / 'json').mkdir(parents=True)
    with pytest.raises(FileNotFoundError, match='original_files'):
        get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'ds').convert()
    with pytest.raises(DatasetLayoutError, match='no split folder'):
        get_converter('dm_v2', 'yolo', root_dir=tmp_path / 'ds', is_categorized=True).convert()


def test_output_is_atomic_and_never_clobbered(dm_flat: Path, tmp_path: Path) -> None:
    out = tmp_path / 'out'
    out.mkdir()
    (out / 'keep.txt').write_text('mine')
    with pytest.raises(OutputExistsError):
        get_converter('dm_v2', 'yolo', root_dir=dm_flat).save_to_folder(out)
    assert (out / 'keep.txt').read_text() == 'mine'
    # a conversion that fails half-way leaves the old output untouched and no temporary folder behind
    (dm_flat / 'json' / 'a1.json').write_text('{"images": [{"bounding_box": [{"data": "oops"}]}]}')
    with pytest.raises(DatasetFormatError):
        get_converter('dm_v2', 'yolo', root_dir=dm_flat, strict=True).save_to_folder(out, overwrite=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ['dm_flat', 'out']
    assert (out / 'keep.txt').read_text() == 'mine'
    get_converter('dm_v2', 'yolo', root_dir=dm_flat).save_to_folder(out, overwrite=True)
    assert not (out / 'keep.txt').exists() and (out / 'dataset.yaml').is_file()


def test_progress_callback_and_hard_links(dm_split: Path, tmp_path: Path) -> None:
    calls: list[tuple[int, int | None]] = []
    converter = get_converter(
        'dm_v2',
        'coco',
        root_dir=dm_split,
        is_categorized=True,
        progress=lambda d, t: calls.append((d, t)),
        images='link',
    )
    converter.save_to_folder(tmp_path / 'coco')
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]
    source = dm_split / 'train' / 'original_files' / 'a1.jpg'
    assert (tmp_path / 'coco' / 'train' / 'a1.jpg').stat().st_ino == source.stat().st_ino
    calls.clear()  # a streamed COCO source still gives the progress bar its total
    get_converter(
        'coco', 'yolo', root_dir=tmp_path / 'coco', is_categorized=True, progress=lambda d, t: calls.append((d, t))
    ).save_to_folder(tmp_path / 'yolo')
    assert calls == [(1, 4), (2, 4), (3, 4), (4, 4)]


def test_plugins_datasets_reexports_the_converters() -> None:
    from synapse_sdk.plugins.datasets import DatasetFormat as Reexported
    from synapse_sdk.plugins.datasets import FromDMToYOLOConverter as Named
    from synapse_sdk.plugins.datasets import get_converter as factory

    assert Reexported is DatasetFormat and Named is FromDMToYOLOConverter and factory is get_converter


def test_plugins_datasets_without_the_converters_says_what_to_install() -> None:
    import subprocess
    import sys

    code = (
        'import sys\nsys.modules["synapse_sdk.utils.converters"] = None\n'
        'try:\n    import synapse_sdk.plugins.datasets\nexcept ImportError as e:\n    print(type(e).__name__, e)'
    )
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout
    assert out.startswith('MissingDependencyError') and 'pip install synapse-sdk-converters' in out


def test_importing_plugins_does_not_import_the_converters() -> None:
    import subprocess
    import sys

    code = 'import sys, synapse_sdk.plugins\nprint("synapse_sdk.utils.converters" in sys.modules)'
    assert (
        subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.strip()
        == 'False'
    )
