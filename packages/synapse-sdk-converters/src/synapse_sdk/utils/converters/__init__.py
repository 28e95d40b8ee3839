"""Dataset converters between the DM format (v1, v2) and YOLO, COCO and Pascal VOC.

>>> converter = get_converter('dm_v2', 'yolo', root_dir='/data/dm_dataset', is_categorized=True)
>>> summary = converter.convert()
>>> converter.save_to_folder('/data/yolo_output')
"""

from synapse_sdk.utils.converters._base import ClassMap, Reader, Writer
from synapse_sdk.utils.converters._converter import (
    COCOToDMConverter,
    DatasetConverter,
    DMV1ToV2Converter,
    DMV2ToV1Converter,
    FromDMToCOCOConverter,
    FromDMToPascalConverter,
    FromDMToYOLOConverter,
    PascalToDMConverter,
    YOLOToDMConverter,
    get_converter,
)
from synapse_sdk.utils.converters._detect import Layout, Part, detect_layout
from synapse_sdk.utils.converters._dm_schema import convert_v1_to_v2, convert_v2_to_v1
from synapse_sdk.utils.converters._formats import READERS, WRITERS, DatasetFormat, register_format
from synapse_sdk.utils.converters._inspection import preview_dataset, validate_dataset
from synapse_sdk.utils.converters._layout import ImageMode, place_image, safe_join
from synapse_sdk.utils.converters._lossy import Losses
from synapse_sdk.utils.converters._model import (
    Annotation,
    Box,
    Item,
    Keypoint,
    Keypoints,
    Mask,
    MultiPolygon,
    Other,
    Point,
    Polygon,
    Polyline,
    Tag,
)
from synapse_sdk.utils.converters._report import ConversionSummary, Report, ReportEntry
from synapse_sdk.utils.converters._support import CAPABILITIES, support_matrix
from synapse_sdk.utils.converters.errors import (
    ConverterError,
    DatasetFormatError,
    DatasetLayoutError,
    NothingConvertedError,
    OutputBusyError,
    OutputExistsError,
    StrictModeError,
    UnsafeOutputError,
    UnsafePathError,
    UnsupportedFormatError,
)

BaseConverter = DatasetConverter

__all__ = [
    'CAPABILITIES',
    'READERS',
    'WRITERS',
    'Annotation',
    'BaseConverter',
    'Box',
    'COCOToDMConverter',
    'ClassMap',
    'ConversionSummary',
    'ConverterError',
    'DMV1ToV2Converter',
    'DMV2ToV1Converter',
    'DatasetConverter',
    'DatasetFormat',
    'DatasetFormatError',
    'DatasetLayoutError',
    'FromDMToCOCOConverter',
    'FromDMToPascalConverter',
    'FromDMToYOLOConverter',
    'ImageMode',
    'Item',
    'Keypoint',
    'Keypoints',
    'Layout',
    'Losses',
    'Mask',
    'MultiPolygon',
    'NothingConvertedError',
    'Other',
    'OutputBusyError',
    'OutputExistsError',
    'Part',
    'PascalToDMConverter',
    'Point',
    'Polygon',
    'Polyline',
    'Reader',
    'Report',
    'ReportEntry',
    'StrictModeError',
    'Tag',
    'UnsafeOutputError',
    'UnsafePathError',
    'UnsupportedFormatError',
    'Writer',
    'YOLOToDMConverter',
    'convert_v1_to_v2',
    'convert_v2_to_v1',
    'detect_layout',
    'get_converter',
    'place_image',
    'preview_dataset',
    'register_format',
    'safe_join',
    'support_matrix',
    'validate_dataset',
]
