"""COCO ``annotations`` read by orjson a window at a time give exactly what ijson gives: the same values,
the same errors after the same elements, on every layout; and memory stays bounded by the window."""

from __future__ import annotations

import gc
import json
import multiprocessing
import random
import tracemalloc
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from synapse_sdk.utils.converters import _coco_stream as coco_stream
from synapse_sdk.utils.converters import _json_chunks as json_chunks
from synapse_sdk.utils.converters import get_converter
from synapse_sdk.utils.converters.errors import DatasetFormatError
from synapse_sdk.utils.converters.testing import sample_items, write_dm_dataset

WINDOWS = [1 << 20, 64, 1]  # 1: every element outgrows the window, which then doubles


def _outcome(values: Iterator[Any]) -> tuple[list[Any], str | None, int | None]:
    """What a caller sees: the values given before the end or the error, and the error."""
    got: list[Any] = []
    try:
        for value in values:
            got.append(value)
    except DatasetFormatError as error:
        return got, str(error), error.line
    return got, None, None


def _typed(value: Any) -> Any:
    """``value`` with every type and key order spelled out: ``1 == 1.0`` and ``0.0 == -0.0`` are not enough."""
    if isinstance(value, dict):
        return ('dict', [(key, _typed(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ('list', [_typed(item) for item in value])
    return (type(value).__name__, repr(value))


BAD = object()  # an element the reader reports (no integer "image_id"): runs give only its index


def _flat_runs(runs: Iterator[tuple[int, list[Any]]]) -> Iterator[Any]:
    """The elements as ``workers=N`` gets them (:func:`annotation_runs`), back in file order."""
    for base, events in runs:
        found: dict[int, Any] = {}
        for event in events:
            if type(event) is int:
                found[base + event] = BAD
            else:
                _, indexes, data = event
                values = json.loads(data) if isinstance(data, bytes) else data
                found.update({base + index: value for index, value in zip(indexes, values, strict=True)})
        assert sorted(found) == list(range(base, base + len(found)))  # every element, once
        yield from (found[index] for index in sorted(found))


def _reported(value: Any) -> Any:
    ok = isinstance(value, dict) and type(value.get('image_id')) is int
    return value if ok else BAD


def _same_as_ijson(path: Path, pool: ProcessPoolExecutor | None = None) -> tuple[list[Any], str | None, int | None]:
    expected = _outcome(coco_stream._ijson_annotations(path, 0))
    got = _outcome(coco_stream.iter_annotations(path))
    assert got == expected
    assert _typed(got[0]) == _typed(expected[0])
    if pool is not None:  # parsed on worker processes, piece by piece, as workers=N reads
        values, message, line = _outcome(_flat_runs(coco_stream.annotation_runs(path, pool.submit)))
        assert values == [_reported(value) for value in expected[0]]
        assert _typed(values) == _typed([_reported(value) for value in expected[0]])
        assert (message, line) == expected[1:]
    return got


@pytest.fixture(scope='module')
def pool() -> Iterator[ProcessPoolExecutor]:
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context('fork')) as executor:
        yield executor


def _fast(path: Path) -> list[Any] | None:
    """The annotations as the chunked reader alone gives them; None when it leaves the file to ijson."""
    try:
        return [value for batch in json_chunks.array_batches(path, 'annotations') for value in batch]
    except json_chunks.Unusual:
        return None


def _write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / 'annotations.json'
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return path


def _doc(annotations: Any, **extra: Any) -> dict[str, Any]:
    images = [{'id': 1, 'file_name': 'a.jpg', 'width': 4, 'height': 3}, {'id': 2, 'file_name': 'b.jpg'}]
    return {'info': {}, 'images': images, 'annotations': annotations, 'categories': [{'id': 1, 'name': 'car'}]} | extra


def _anns(count: int) -> list[dict[str, Any]]:
    return [
        {'id': n, 'image_id': 1 + n % 2, 'category_id': 1, 'bbox': [n, 2.5, 3, 4e-3], 'iscrowd': 0}
        for n in range(1, count + 1)
    ]


RICH = [
    {'id': 1, 'image_id': 1, 'attributes': [{'name': 'a', 'v': [{'x': 1}, {'y': {}}]}, {'name': 'b'}], 'bbox': []},
    {'id': 2, 'image_id': 1, 'note': '}, {"id": 3}, {', 'quote': '"annotations": [1, 2]', 'tail': '}]'},
    {'id': 3, 'image_id': 2, 'annotations': [{'nested': True}], 'segmentation': {'counts': 'a}{b', 'size': [2, 2]}},
    {'id': 4, 'image_id': 2, 'text': 'é 😀 \u0000 \\ \\" \t \n', 'keys': {'é': 1, '': None, 'a\\"b': False}},
    {'id': 5, 'image_id': 2, 'float': -0.0, 'neg': -17, 'exp': 1e-7, 'big': 1.5e300, 'int': 123456789012345678},
    {},
    {'id': 7, 'deep': [[[[{'a': [{}, {}]}]]]], 'empty': [[], {}, '']},
]

LAYOUTS = {
    'compact': lambda doc: json.dumps(doc),
    'minified': lambda doc: json.dumps(doc, separators=(',', ':')),
    'indented': lambda doc: json.dumps(doc, indent=2),
    'unicode': lambda doc: json.dumps(doc, ensure_ascii=False, indent='\t'),
    'crlf': lambda doc: json.dumps(doc, indent=1).replace('\n', '\r\n'),
    'annotations first': lambda doc: json.dumps({'annotations': doc['annotations']} | doc),
    'annotations last': lambda doc: json.dumps({k: v for k, v in doc.items() if k != 'annotations'} | doc),
}


@pytest.mark.parametrize('window', WINDOWS)
@pytest.mark.parametrize('layout', sorted(LAYOUTS))
def test_chunks_give_what_ijson_gives_on_every_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ProcessPoolExecutor, layout: str, window: int
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', window)
    monkeypatch.setattr(coco_stream, 'PIECE', window)
    anns = RICH + _anns(40) + [{'id': 99, 'name': '한국어 😀 é'}]  # raw in the 'unicode' layout
    path = _write(tmp_path, LAYOUTS[layout](_doc(anns)))
    assert _same_as_ijson(path, pool) == (anns, None, None)
    assert _fast(path) == anns  # and without ijson's help


@pytest.mark.parametrize('piece', [300, 1000])
@pytest.mark.parametrize('layout', sorted(LAYOUTS))
@pytest.mark.parametrize('odd_at', [None, 0, 150, 299])
def test_pieces_parsed_on_workers_give_what_ijson_gives(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pool: ProcessPoolExecutor,
    piece: int,
    layout: str,
    odd_at: int | None,
) -> None:
    # many pieces cut without parsing; where RICH stands (a "}, {" inside a string, nested arrays of
    # objects) a cut may be unsound: from there the exact reader takes over; with the annotations
    # first, the array ends inside a piece that the images follow
    monkeypatch.setattr(coco_stream, 'PIECE', piece)
    anns: list[Any] = _anns(300)
    if odd_at is not None:
        anns[odd_at:odd_at] = RICH
    images = [{'id': n, 'file_name': f'{n}.jpg', 'width': 4, 'height': 3} for n in range(1, 120)]
    path = _write(tmp_path, LAYOUTS[layout](_doc(anns) | {'images': images}))
    sent: list[int] = []

    def submit(function: Any, data: bytes, last: bool) -> Any:
        sent.append(len(data))
        return pool.submit(function, data, last)

    values, message, line = _outcome(_flat_runs(coco_stream.annotation_runs(path, submit)))
    assert (values, message, line) == ([_reported(value) for value in anns], None, None)
    assert _typed(values) == _typed([_reported(value) for value in anns])
    if odd_at is None or odd_at > 0:
        assert len(sent) > 3  # the pieces before anything odd went to the workers


@pytest.mark.parametrize('layout', sorted(LAYOUTS))
@pytest.mark.parametrize(
    'extra',
    [
        {},
        {'info': {'note': 'images'}},  # "images" twice in the head: ijson decides
        {'info': {'images': [1]}},
    ],
)
def test_images_taken_from_before_the_array_are_what_ijson_reads(tmp_path: Path, layout: str, extra: Any) -> None:
    doc = _doc(_anns(3)) | extra
    doc['images'] += [{'id': 3, 'file_name': 'é 😀.JPG', 'width': -0.0, 'height': 1e-7, 'x': [None, True, {}]}]
    path = _write(tmp_path, LAYOUTS[layout](doc))
    array = coco_stream.annotations_array(path)
    assert array is not None
    found = array.before('images')
    if layout == 'annotations first' or extra:
        assert found is None  # after the array, or named twice before it: left to ijson
    else:
        assert found is not None
        assert _typed(found[0]) == _typed(coco_stream.top_value(path, 'images'))


def test_our_own_coco_output_reads_the_same(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    items = sample_items(tmp_path / 'images', None, splits=False, count=4)
    dm = write_dm_dataset(tmp_path / 'dm', items)
    get_converter('dm_v2', 'coco', root_dir=dm, images='none').save_to_folder(tmp_path / 'coco')
    path = next((tmp_path / 'coco').rglob('*.json'))
    full = json.loads(path.read_text())['annotations']
    assert len(full) > 8
    for window in WINDOWS:
        monkeypatch.setattr(json_chunks, 'WINDOW', window)
        assert _same_as_ijson(path) == (full, None, None)
        assert _fast(path) == full


@pytest.mark.parametrize(
    'text',
    [
        '{"images": [], "annotations": []}',
        '{"annotations": [ \n ], "images": []}',
        '{"images": []}',
        '{"images": [], "annotations": null}',
        '{"images": [], "annotations": 7}',
        '{"images": [], "annotations": {"item": {"id": 1}}}',
        '{"images": [], "annotations": [1, [2], "x", null]}',
        '{"images": [], "annotations": [{"id": 1}, 5, {"id": 2}, [{"id": 3}], {"id": 4}]}',
        '{"images": [], "annotations": [{"id": 1}, 5]}',
        '{"annotations.item": {"id": 9}, "annotations": [{"id": 1}]}',
        '{"annotations": [{"id": 1}], "annotations.item": {"id": 9}}',
        '{"annotations": [{"id": 1}], "annotations": [{"id": 2}]}',
        '{"annotations": 5, "annotations": [{"id": 2}]}',
        '{"annotations": [{"id": 2}], "annotations": 5}',
        '{"annot\\u0061tions": [{"id": 1}], "annotations": [{"id": 2}]}',
        '{"annotations": [{"id": 2}], "annot\\u0061tions": [{"id": 1}]}',
        '{"info": {"annotations": [{"id": 1}]}, "annotations": [{"id": 2}]}',
        '{"info": {"annotations": {"id": 1}}, "annotations": [{"id": 2}]}',
        '{"annotations": [{"id": 2}], "info": {"annotations": [{"id": 1}]}}',
        '{"info": {"note": "annotations", "annotations_count": 1}, "annotations": [{"id": 2}], "x": "annotations"}',
        '{"info": "\\"annotations\\": [{\\"id\\": 1}]", "annotations": [{"id": 2}]}',
        '{"x\\"annotations": [{"id": 1}], "annotations": [{"id": 2}]}',
        '[{"annotations": [{"id": 1}]}]',
        '{"annotations": [{"id": 1}, {"id": 2}]}',
        '{"annotations": [{"id": 1}]}  \n',
        '{"annotations": [{"a": 1, "b": 2, "a": 3.0}, {"a": 1e2, "b": -0, "c": -0.0, "d": 1E-2}]}',
    ],
)
@pytest.mark.parametrize('window', WINDOWS)
def test_unusual_files_give_what_ijson_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ProcessPoolExecutor, text: str, window: int
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', window)
    monkeypatch.setattr(coco_stream, 'PIECE', window)
    _same_as_ijson(_write(tmp_path, text), pool)


def test_a_nested_annotations_key_elsewhere_is_not_taken_for_the_array(tmp_path: Path) -> None:
    path = _write(tmp_path, '{"info": {"annotations": [{"id": 1}]}, "annotations": [{"id": 2}]}')
    assert _same_as_ijson(path) == ([{'id': 2}], None, None)
    assert _fast(path) is None  # ambiguous: left to ijson


@pytest.mark.parametrize(
    'number',
    [2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63), -(2**63) - 1, 10**30, 10**18, -(10**18)],
)
@pytest.mark.parametrize('where', ['annotation', 'image', 'category'])
def test_integers_beyond_64_bits_give_what_ijson_gives(
    tmp_path: Path, pool: ProcessPoolExecutor, number: int, where: str
) -> None:
    doc = _doc(_anns(5))
    target = {'annotation': doc['annotations'][2], 'image': doc['images'][1], 'category': doc['categories'][0]}
    target[where]['id'] = number
    _same_as_ijson(_write(tmp_path, json.dumps(doc)), pool)


@pytest.mark.parametrize(
    'damage',
    [
        ('"iscrowd": 0}, {"id": 3', '"iscrowd": 0}, {"id": 3,,'),  # inside the array
        ('"iscrowd": 0}, {"id": 3', '"iscrowd": 0} {"id": 3'),
        ('"id": 20,', '"id": 20,}'),  # the last element
        ('"iscrowd": 0}]', '"iscrowd": 0}}]'),
        ('"iscrowd": 0}]', '"iscrowd": 0}'),
        ('"iscrowd": 0}]', '"iscrowd": 0}]]'),
        ('"categories": [', '"categories": [,'),  # after the array
        ('"name": "car"}]}', '"name": "car"}]}}'),
        ('"name": "car"}]}', '"name": "car"}]'),
        ('"name": "car"}]}', '"name": "car"}]} x'),
        ('"file_name": "a.jpg"', '"file_name": "a.jpg\x01"'),  # before it
        ('"images": [', '"images": [[,'),
        ('"bbox": [4, 2.5', '"bbox": [4, NaN'),
        ('"bbox": [4, 2.5', '"bbox": [4, 1e999'),
        ('"bbox": [4, 2.5', '"bbox": [4, "\\ud800"'),
        ('"bbox": [4, 2.5', '"bbox": [4, "\xff"'),
    ],
)
@pytest.mark.parametrize('window', WINDOWS)
def test_invalid_json_gives_the_same_error_after_the_same_annotations(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ProcessPoolExecutor, damage: tuple[str, str], window: int
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', window)
    monkeypatch.setattr(coco_stream, 'PIECE', window)
    text = json.dumps(_doc(_anns(20)))
    assert damage[0] in text
    path = _write(tmp_path, text.replace(damage[0], damage[1], 1).encode('utf-8', 'surrogateescape'))
    _same_as_ijson(path, pool)


def test_invalid_json_gives_the_error_it_gave_before(tmp_path: Path) -> None:
    text = json.dumps(_doc(_anns(20)), indent=1).replace('"id": 9,', '"id": 9,,', 1)
    path = _write(tmp_path, text)
    values, message, line = _same_as_ijson(path)
    assert [ann['id'] for ann in values] == list(range(1, 9))
    assert message is not None and message.startswith(f'{path}:{line}: invalid JSON')
    assert line == text[: text.index('"id": 9,,')].count('\n') + 1


def test_an_element_bigger_than_any_window_is_read_by_ijson_after_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ProcessPoolExecutor
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', 256)
    monkeypatch.setattr(coco_stream, 'PIECE', 256)
    monkeypatch.setattr(json_chunks, 'MAX_WINDOW', 1024)
    anns = _anns(60)
    anns[40]['segmentation'] = [[float(n) for n in range(400)]]
    path = _write(tmp_path, json.dumps(_doc(anns)))
    batches = json_chunks.array_batches(path, 'annotations')
    given = []
    with pytest.raises(json_chunks.Unusual):
        for batch in batches:
            given.extend(batch)
    assert 0 < len(given) <= 40 and given == anns[: len(given)]
    assert _same_as_ijson(path, pool) == (anns, None, None)


STRING_PARTS = ['a', '}', '{', ']', '[', ',', '"', '\\', ':', ' ', 'é', '😀', '\n', '\\u0061']


def _random_value(rng: random.Random, depth: int) -> Any:
    pick = rng.random()
    if depth > 3 or pick < 0.35:
        if rng.random() < 0.03:
            return rng.randrange(10**17, 10**20) * rng.choice([1, -1])  # near and beyond 64 bits
        return rng.choice(
            [
                rng.randrange(-1000, 1000),
                rng.uniform(-1e6, 1e6),
                rng.choice([True, False, None]),
                ''.join(rng.choice(STRING_PARTS) for _ in range(8)),
                '}, {',
                '"annotations": [',
            ]
        )
    if pick < 0.7:
        return {
            rng.choice(['id', 'x', 'annotations', 'a}b', 'é', 'item']): _random_value(rng, depth + 1)
            for _ in range(rng.randrange(4))
        }
    return [_random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def _random_text(rng: random.Random) -> str:
    anns: list[Any] = [
        {'id': n} | {rng.choice(['a', 'b', 'c']): _random_value(rng, 1) for _ in range(rng.randrange(3))}
        for n in range(rng.randrange(30))
    ]
    if rng.random() < 0.1:
        anns.insert(rng.randrange(len(anns) + 1), _random_value(rng, 1))
    doc = _doc(anns)
    if rng.random() < 0.2:
        doc['info'] = {'annotations': _random_value(rng, 1)}
    keys = list(doc)
    rng.shuffle(keys)
    doc = {key: doc[key] for key in keys}
    style = rng.choice([{}, {'indent': 2}, {'separators': (',', ':')}, {'ensure_ascii': False}])
    text = json.dumps(doc, **style)  # type: ignore[arg-type]
    if rng.random() < 0.3:  # damage it
        at = rng.randrange(len(text))
        text = rng.choice([text[:at] + text[at + 1 :], text[:at] + rng.choice('{}[],:"\\ 0x') + text[at:], text[:at]])
    return text


@pytest.mark.parametrize('window', [1 << 20, 24, 1])
def test_random_files_intact_or_damaged_give_what_ijson_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pool: ProcessPoolExecutor, window: int
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', window)
    monkeypatch.setattr(coco_stream, 'PIECE', window)
    rng = random.Random(window)
    for _ in range(300):
        _same_as_ijson(_write(tmp_path, _random_text(rng)), pool)


def _peak_while_reading(path: Path) -> int:
    coco_stream.check_depth(path)  # its 4 MB blocks (once per file version) are not the reader's
    gc.collect()
    tracemalloc.start()
    try:
        count = sum(1 for _ in coco_stream.iter_annotations(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count > 0
    return peak


def test_memory_is_bounded_by_the_window_not_the_annotation_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(json_chunks, 'WINDOW', 1 << 16)
    monkeypatch.setattr(json_chunks, '_BLOCK', 1 << 16)
    peaks, sizes = {}, {}
    for count in (20_000, 200_000):
        folder = tmp_path / str(count)
        folder.mkdir()
        path = _write(folder, json.dumps(_doc([{'id': n, 'image_id': 1, 'bbox': [n, 2]} for n in range(count)])))
        assert _fast(path) is not None
        sizes[count] = path.stat().st_size
        peaks[count] = _peak_while_reading(path)
    assert peaks[200_000] < 2 * peaks[20_000], (peaks, sizes)
    assert peaks[200_000] < sizes[200_000] / 4, (peaks, sizes)  # the parsed array would take several times the file
