"""Dataset converters between the DM format (v1, v2) and YOLO, COCO and Pascal VOC.

>>> converter = get_converter('dm_v2', 'yolo', root_dir='/data/dm_dataset', is_categorized=True)
>>> summary = converter.convert()
>>> converter.save_to_folder('/data/yolo_output')
"""

from synapse_sdk.utils.converters.converter import (
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
from synapse_sdk.utils.converters.detect import Layout, Part, detect_layout
from synapse_sdk.utils.converters.dm_schema import convert_v1_to_v2, convert_v2_to_v1
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
from synapse_sdk.utils.converters.formats import READERS, WRITERS, DatasetFormat
from synapse_sdk.utils.converters.inspection import preview_dataset, validate_dataset
from synapse_sdk.utils.converters.report import ConversionSummary, Report, ReportEntry

BaseConverter = DatasetConverter

__all__ = [
    'READERS',
    'WRITERS',
    'BaseConverter',
    'COCOToDMConverter',
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
    'Layout',
    'NothingConvertedError',
    'OutputBusyError',
    'OutputExistsError',
    'Part',
    'PascalToDMConverter',
    'Report',
    'ReportEntry',
    'StrictModeError',
    'UnsafeOutputError',
    'UnsafePathError',
    'UnsupportedFormatError',
    'YOLOToDMConverter',
    'convert_v1_to_v2',
    'convert_v2_to_v1',
    'detect_layout',
    'get_converter',
    'preview_dataset',
    'validate_dataset',
]
