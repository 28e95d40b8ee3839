"""Dataset formats and the registries that map their names to readers and writers.

Third parties add formats through the entry-point groups ``synapse_sdk.dataset_readers`` and
``synapse_sdk.dataset_writers`` (``name = "module:Class"``).
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.core.registry import Registry
from synapse_sdk.utils.converters.errors import UnsupportedFormatError

if TYPE_CHECKING:
    from synapse_sdk.utils.converters.base import Reader, Writer


class DatasetFormat(str, Enum):
    """Formats ``get_converter`` understands (a ``str``, so ``DatasetFormat.YOLO == 'yolo'``)."""

    DM_V1 = 'dm_v1'
    DM_V2 = 'dm_v2'
    YOLO = 'yolo'
    COCO = 'coco'
    PASCAL = 'pascal'

    def __str__(self) -> str:
        return self.value

    @property
    def is_dm(self) -> bool:
        return self in (DatasetFormat.DM_V1, DatasetFormat.DM_V2)

    @property
    def dm_version(self) -> str | None:
        return {DatasetFormat.DM_V1: 'v1', DatasetFormat.DM_V2: 'v2'}.get(self)


_PACKAGE = 'synapse_sdk.utils.converters'
_ALIASES: dict[str, tuple[str, ...]] = {
    'dm_v1': ('dmv1', 'dm-v1'),
    'dm_v2': ('dm', 'dmv2', 'dm-v2'),
    'yolo': ('ultralytics',),
    'coco': ('mscoco',),
    'pascal': ('voc', 'pascal_voc', 'pascalvoc', 'pascal-voc'),
}
_TARGETS = {
    'dm_v1': ('dm_io:DMV1Reader', 'dm_io:DMV1Writer'),
    'dm_v2': ('dm_io:DMV2Reader', 'dm_io:DMV2Writer'),
    'yolo': ('yolo:YOLOReader', 'yolo:YOLOWriter'),
    'coco': ('coco:COCOReader', 'coco:COCOWriter'),
    'pascal': ('voc:VOCReader', 'voc:VOCWriter'),
}

READERS: Registry[type[Reader]] = Registry('dataset reader', 'synapse_sdk.dataset_readers')
WRITERS: Registry[type[Writer]] = Registry('dataset writer', 'synapse_sdk.dataset_writers')
for _name, (_reader, _writer) in _TARGETS.items():
    READERS.register(_name, f'{_PACKAGE}.{_reader}', aliases=_ALIASES[_name])
    WRITERS.register(_name, f'{_PACKAGE}.{_writer}', aliases=_ALIASES[_name])


def format_name(value: str | DatasetFormat, registry: Registry[type[Reader]] | Registry[type[Writer]] = READERS) -> str:
    """The canonical name of a format (``'voc'`` -> ``'pascal'``); :class:`UnsupportedFormatError` if unknown."""
    text = value.value if isinstance(value, DatasetFormat) else str(value)
    try:
        return registry.canonical(text)
    except NotFoundError:
        raise UnsupportedFormatError(
            f'unknown dataset format {text!r}; available: {", ".join(registry.names())}', details={'format': text}
        ) from None
