"""Every registered format that reads and writes passes the shipped contract suite.

The classes are made from the registry, so a new built-in format is tested without editing this file.
"""

from __future__ import annotations

from synapse_sdk.utils.converters._formats import READERS, WRITERS
from synapse_sdk.utils.converters.testing import FormatContract

FORMATS = sorted(set(READERS.names()) & set(WRITERS.names()))
#: Pascal VOC stores whole pixels (1-based, inclusive): boxes come back within a pixel.
TOLERANCE = {'pascal': 1.0}
#: The COCO reader keeps each image's record and an annotation count per image (see docs/converters.md).
MEMORY_PER_IMAGE = {'coco': 6144}
#: YOLO writes one task per dataset (Ultralytics refuses mixed rows): the contract runs once per task.
TASKS = {
    'yolo': {
        '': ('detect', frozenset({'bbox', 'splits'})),
        '_segment': ('segment', frozenset({'polygon', 'splits'})),
        '_pose': ('pose', frozenset({'keypoints', 'splits'})),
    }
}

for _name in FORMATS:
    for _suffix, (_task, _holds) in TASKS.get(_name, {'': (None, None)}).items():
        _attrs = {'format': _name, '__module__': __name__, 'tolerance': TOLERANCE.get(_name, FormatContract.tolerance)}
        _attrs['memory_per_image'] = MEMORY_PER_IMAGE.get(_name, FormatContract.memory_per_image)
        if _task is not None:
            _attrs.update(write_options={'task': _task}, sample_holds=_holds)
        _cls = type(f'TestContract_{_name}{_suffix}', (FormatContract,), _attrs)
        globals()[_cls.__name__] = _cls


def test_every_built_in_format_is_in_the_contract() -> None:
    assert {'dm_v1', 'dm_v2', 'yolo', 'coco', 'pascal', 'cvat', 'labelme', 'label_studio', 'yolo_obb'} <= set(FORMATS)
    assert 'image_folder' in FORMATS
