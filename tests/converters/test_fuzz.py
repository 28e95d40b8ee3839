"""Fuzzing the readers: whatever the input, they either read it or raise one of our typed errors."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from synapse_sdk.utils.converters._coco import COCOReader
from synapse_sdk.utils.converters._dm_io import _FAST, _annotation, fill_from_v2
from synapse_sdk.utils.converters._dm_schema import convert_v1_to_v2, convert_v2_to_v1
from synapse_sdk.utils.converters._model import Item
from synapse_sdk.utils.converters._report import Report
from synapse_sdk.utils.converters._voc import parse_voc_xml
from synapse_sdk.utils.converters._yolo import YOLOReader
from synapse_sdk.utils.converters.errors import ConverterError

FUZZ = settings(
    max_examples=int(os.environ.get('FUZZ_EXAMPLES', '150')),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)

numbers = st.one_of(
    st.integers(-5, 2000), st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([0, 1, 2, 0.5, -0.0])
)
scalars = st.one_of(st.none(), st.booleans(), numbers, st.text(max_size=8))
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=6), inner, max_size=5)),
    max_leaves=30,
)
tools = st.sampled_from(
    ['bounding_box', 'polygon', 'polyline', 'keypoint', 'segmentation', 'classification', 'group', 'x']
)
annotation = st.fixed_dictionaries(
    {},
    optional={
        'id': st.one_of(st.text(max_size=4), json_values),
        'classification': st.one_of(st.sampled_from(['car', 'person']), json_values),
        'attrs': st.one_of(
            st.lists(st.fixed_dictionaries({'name': st.text(max_size=4), 'value': scalars})), json_values
        ),
        'data': st.one_of(
            st.lists(numbers, max_size=6), st.lists(st.lists(numbers, max_size=3), max_size=5), json_values
        ),
    },
)
image_docs = st.dictionaries(
    tools, st.one_of(st.lists(st.one_of(annotation, json_values), max_size=4), json_values), max_size=5
)


def _only_typed_errors(call: Any, *args: Any, **kwargs: Any) -> None:
    try:
        call(*args, **kwargs)
    except ConverterError:
        pass


@FUZZ
@given(image=image_docs, extra=st.dictionaries(st.sampled_from(['videos', 'images', 'x']), json_values, max_size=2))
def test_dm_v2_items(image: dict[str, Any], extra: dict[str, Any]) -> None:
    doc = {**extra, 'images': [image]}
    for strict in (False, True):
        _only_typed_errors(fill_from_v2, Item('x', '', None, source='x.json'), doc, Report(strict=strict))


@FUZZ
@given(tool=st.sampled_from(sorted(_FAST)), raw=st.one_of(annotation, json_values))
def test_dm_fast_path_reads_exactly_what_the_full_checks_read(tool: str, raw: Any) -> None:
    """The shortcut for well-formed boxes and polygons accepts nothing the full checks refuse, and reads the same."""
    fast = _FAST[tool](raw)
    if fast is not None:
        assert fast == _annotation(tool, raw, 'x.json', 'here')


@FUZZ
@given(doc=st.one_of(json_values, st.fixed_dictionaries({'annotations': json_values, 'annotationsData': json_values})))
def test_dm_v1_documents(doc: Any) -> None:
    def run() -> None:
        result = convert_v1_to_v2(doc)
        convert_v2_to_v1(result)

    _only_typed_errors(run)


line = st.lists(st.one_of(numbers.map(str), st.text(max_size=4)), max_size=14).map(' '.join)


@FUZZ
@given(lines=st.lists(line, max_size=6), kpt=st.sampled_from([None, [2, 3], [3, 2]]))
def test_yolo_label_lines(tmp_path: Path, lines: list[str], kpt: list[int] | None) -> None:
    for strict in (False, True):
        reader = YOLOReader(tmp_path, is_categorized=False, report=Report(strict=strict), class_names=['a', 'b'])
        if kpt:
            reader.kpt_shape = (kpt[0], kpt[1])
        _only_typed_errors(reader.parse, '\n'.join(lines), tmp_path / 'x.txt', 64, 48)


xml_text = st.one_of(
    st.binary(max_size=200),
    st.builds(
        lambda name, values, fname: (
            f'<annotation><filename>{fname}</filename><size><width>{values[0]}</width></size>'
            f'<object><name>{name}</name><bndbox><xmin>{values[1]}</xmin><ymin>{values[2]}</ymin>'
            f'<xmax>{values[3]}</xmax><ymax>{values[4]}</ymax></bndbox><difficult>{values[5]}</difficult></object>'
            '</annotation>'
        ).encode(),
        st.text(alphabet='abc<>&', max_size=5),
        st.lists(st.one_of(numbers.map(str), st.text(max_size=3)), min_size=6, max_size=6),
        st.sampled_from(['a.jpg', '../a.jpg', '/etc/x', '', 'd/e.png']),
    ),
)


@FUZZ
@given(data=xml_text)
def test_voc_xml(tmp_path: Path, data: bytes) -> None:
    _only_typed_errors(parse_voc_xml, data, tmp_path / 'x.xml', '', tmp_path, {})


coco_docs = st.fixed_dictionaries(
    {},
    optional={
        'images': st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {'id': st.one_of(st.integers(0, 3), json_values)},
                    optional={
                        'file_name': st.sampled_from(['a.jpg', '../b.jpg', '']),
                        'width': numbers,
                        'height': numbers,
                    },
                ),
                max_size=3,
            ),
            json_values,
        ),
        'annotations': st.one_of(
            st.lists(
                st.fixed_dictionaries(
                    {
                        'image_id': st.one_of(st.integers(0, 3), json_values),
                        'category_id': st.one_of(st.integers(0, 3), json_values),
                    },
                    optional={
                        'bbox': st.one_of(st.lists(numbers, max_size=5), json_values),
                        'segmentation': st.one_of(
                            st.lists(st.lists(numbers, max_size=8), max_size=2),
                            st.fixed_dictionaries(
                                {
                                    'size': st.lists(st.integers(-1, 6), max_size=3),
                                    'counts': st.one_of(st.text(max_size=8), st.lists(st.integers(-2, 9), max_size=6)),
                                }
                            ),
                            json_values,
                        ),
                        'keypoints': st.lists(numbers, max_size=7),
                        'iscrowd': st.sampled_from([0, 1]),
                    },
                ),
                max_size=4,
            ),
            json_values,
        ),
        'categories': st.one_of(
            st.lists(st.fixed_dictionaries({'id': st.integers(0, 3), 'name': st.text(max_size=3)}), max_size=3),
            json_values,
        ),
    },
)


def _read_coco(folder: Path) -> None:
    for strict in (False, True):
        reader = COCOReader(folder, is_categorized=False, report=Report(strict=strict))
        _only_typed_errors(_class_names_and_items, reader)


def _class_names_and_items(reader: COCOReader) -> None:
    reader.class_names()
    list(reader.items())


@FUZZ
@given(doc=coco_docs, order=st.permutations(['images', 'annotations', 'categories']))
def test_coco_documents(tmp_path: Path, doc: dict[str, Any], order: list[str]) -> None:
    ordered = {key: doc[key] for key in order if key in doc}
    (tmp_path / 'annotations.json').write_bytes(orjson.dumps(ordered))
    _read_coco(tmp_path)


@FUZZ
@given(doc=coco_docs, cut=st.integers(0, 400), junk=st.binary(max_size=4))
def test_coco_broken_bytes(tmp_path: Path, doc: dict[str, Any], cut: int, junk: bytes) -> None:
    data = orjson.dumps(doc)
    (tmp_path / 'annotations.json').write_bytes(data[:cut] + junk + data[cut + len(junk) :])
    _read_coco(tmp_path)


@FUZZ
@given(image=image_docs, size=st.tuples(st.integers(1, 50), st.integers(1, 50)))
@example(image={'keypoint': [{'data': [0, 1.8446744073709552e19]}]}, size=(1, 1))  # a whole float past int64
def test_writers_take_whatever_a_reader_yields(tmp_path: Path, image: dict[str, Any], size: tuple[int, int]) -> None:
    from synapse_sdk.utils.converters._base import ClassMap
    from synapse_sdk.utils.converters._formats import WRITERS
    from synapse_sdk.utils.converters._report import ConversionSummary

    report = Report()
    item = fill_from_v2(Item('x', '', None, source='x.json'), {'images': [image]}, report)
    item.width, item.height = size
    for name in ('yolo', 'coco', 'pascal', 'dm_v2', 'dm_v1'):
        out = tmp_path / name
        writer = WRITERS.load(name)(
            out, report=report, classes=ClassMap(), summary=ConversionSummary('dm_v2', name), images='none'
        )
        item.image = tmp_path / 'x.jpg'  # never read: images='none' and the size is known
        _only_typed_errors(_write_and_close, writer, item)


def _write_and_close(writer: Any, item: Any) -> None:
    writer.write(item)
    writer.close()
