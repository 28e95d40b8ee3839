"""Dataset formats and the registries that map their names to readers and writers.

The registries are the one list of formats: ``get_converter``, the CLI (help, completion), the
contract tests and the docs' support matrix all read them. Third parties add formats through the
entry-point groups ``synapse_sdk.dataset_readers`` and ``synapse_sdk.dataset_writers``
(``name = "module:Class"``) or with :func:`register_format`.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from synapse_sdk.core._registry import Registry
from synapse_sdk.core.errors import NotFoundError
from synapse_sdk.utils.converters.errors import UnsupportedFormatError

if TYPE_CHECKING:
    from synapse_sdk.utils.converters._base import Reader, Writer


class DatasetFormat(str, Enum):
    """Names of the built-in formats, as constants (a ``str``, so ``DatasetFormat.YOLO == 'yolo'``).

    Which formats exist is decided by :data:`READERS` and :data:`WRITERS`, not by this enum.
    """

    DM_V1 = 'dm_v1'
    DM_V2 = 'dm_v2'
    YOLO = 'yolo'
    COCO = 'coco'
    PASCAL = 'pascal'
    CVAT = 'cvat'
    LABELME = 'labelme'
    LABEL_STUDIO = 'label_studio'
    YOLO_OBB = 'yolo_obb'
    IMAGE_FOLDER = 'image_folder'

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
    'cvat': ('cvat_images', 'cvat-xml', 'cvat_xml'),
    'labelme': ('label_me', 'label-me'),
    'label_studio': ('labelstudio', 'label-studio', 'ls'),
    'yolo_obb': ('yolo-obb', 'obb'),
    'image_folder': ('imagefolder', 'imagenet', 'image-folder'),
}
_TARGETS = {
    'dm_v1': ('_dm_io:DMV1Reader', '_dm_io:DMV1Writer'),
    'dm_v2': ('_dm_io:DMV2Reader', '_dm_io:DMV2Writer'),
    'yolo': ('_yolo:YOLOReader', '_yolo:YOLOWriter'),
    'coco': ('_coco:COCOReader', '_coco:COCOWriter'),
    'pascal': ('_voc:VOCReader', '_voc:VOCWriter'),
    'cvat': ('_cvat:CVATReader', '_cvat:CVATWriter'),
    'labelme': ('_labelme:LabelMeReader', '_labelme:LabelMeWriter'),
    'label_studio': ('_label_studio:LabelStudioReader', '_label_studio:LabelStudioWriter'),
    'yolo_obb': ('_yolo_obb:YOLOOBBReader', '_yolo_obb:YOLOOBBWriter'),
    'image_folder': ('_image_folder:ImageFolderReader', '_image_folder:ImageFolderWriter'),
}

READERS: Registry[type[Reader]] = Registry('dataset reader', 'synapse_sdk.dataset_readers')
WRITERS: Registry[type[Writer]] = Registry('dataset writer', 'synapse_sdk.dataset_writers')


def register_format(
    name: str,
    reader: str | type[Reader] | None = None,
    writer: str | type[Writer] | None = None,
    *,
    aliases: tuple[str, ...] | list[str] = (),
    clobber: bool = False,
) -> None:
    """Register a format's reader and/or writer (``"module:Class"`` or the class) under ``name``."""
    if reader is None and writer is None:
        raise UnsupportedFormatError(f'format {name!r} needs a reader or a writer')
    if reader is not None:
        READERS.register(name, reader, aliases=aliases, clobber=clobber)
    if writer is not None:
        WRITERS.register(name, writer, aliases=aliases, clobber=clobber)


for _name, (_reader, _writer) in _TARGETS.items():
    register_format(_name, f'{_PACKAGE}.{_reader}', f'{_PACKAGE}.{_writer}', aliases=_ALIASES[_name])


def format_names(kind: str = 'any', *, include_aliases: bool = False) -> list[str]:
    """Registered format names: ``kind`` is ``'read'``, ``'write'`` or ``'any'`` (either)."""
    names: set[str] = set()
    if kind in ('read', 'any'):
        names.update(READERS.names(include_aliases=include_aliases))
    if kind in ('write', 'any'):
        names.update(WRITERS.names(include_aliases=include_aliases))
    return sorted(names)


def dm_version(name: str, registry: Registry[type[Reader]] | Registry[type[Writer]]) -> str | None:
    """The DM schema version (``'v1'``/``'v2'``) the format's reader or writer declares; ``None`` if not DM."""
    cls = registry.load(format_name(name, registry))
    version = getattr(cls, 'dm_version', None)
    return version if isinstance(version, str) else None


def format_name(value: str | DatasetFormat, registry: Registry[type[Reader]] | Registry[type[Writer]] = READERS) -> str:
    """The canonical name of a format (``'voc'`` -> ``'pascal'``); :class:`UnsupportedFormatError` if unknown."""
    text = value.value if isinstance(value, DatasetFormat) else str(value)
    try:
        return registry.canonical(text)
    except NotFoundError:
        other = WRITERS if registry is READERS else READERS
        if text in other:
            can = 'read' if registry is READERS else 'written'
            raise UnsupportedFormatError(
                f'dataset format {text!r} cannot be {can} (it has no {registry.kind}); '
                f'formats that can: {", ".join(registry.names())}',
                details={'format': text},
            ) from None
        raise UnsupportedFormatError(
            f'unknown dataset format {text!r}; available: {", ".join(registry.names())}', details={'format': text}
        ) from None
