"""DM v1 <-> DM v2 documents.

v1 keeps an annotation's metadata (``annotations``) apart from its geometry (``annotationsData``),
both keyed by media (``image_1``); v2 holds typed arrays per media (``images[0].bounding_box``).
``convert_v1_to_v2`` returns the v2 document and the v1 metadata; ``convert_v2_to_v1`` with that
metadata gives back the original v1 document exactly, and without it uses the editor's defaults.
Edits made to the v2 document in between are carried over: metadata is matched by annotation id.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from synapse_sdk.utils.converters.errors import DatasetFormatError

#: v2 media array -> v1 media key prefix.
MEDIA_TYPES: dict[str, str] = {
    'images': 'image',
    'videos': 'video',
    'pcds': 'pcd',
    'texts': 'text',
    'audios': 'audio',
    'prompts': 'prompt',
}
_PLURAL = {singular: plural for plural, singular in MEDIA_TYPES.items()}
_MEDIA_KEY = re.compile(r'^([a-z]+)_(\d+)$')
_TOOL_ALIASES = {
    'boundingbox': 'bounding_box',
    'bbox': 'bounding_box',
    'keypoints': 'keypoint',
    'polyLine': 'polyline',
}
META_FIELDS = ('isLocked', 'isVisible', 'isValid', 'isDrawCompleted', 'label', 'id', 'tool')
_DEFAULT_META: dict[str, Any] = {'isLocked': False, 'isVisible': True, 'isValid': True, 'isDrawCompleted': True}
_V1_TOP_DEFAULTS: dict[str, Any] = {'extra': {}, 'relations': {}, 'annotationGroups': {}, 'assignmentId': None}


def is_v1(doc: Any) -> bool:
    return isinstance(doc, dict) and isinstance(doc.get('annotations'), dict) and 'images' not in doc


def is_v2(doc: Any) -> bool:
    return isinstance(doc, dict) and any(isinstance(doc.get(k), list) for k in MEDIA_TYPES)


def normalise_tool(tool: str) -> str:
    key = tool.replace('-', '_')
    return _TOOL_ALIASES.get(key, _TOOL_ALIASES.get(key.lower(), key))


def media_key(key: str, *, file: str | None = None) -> tuple[str, int]:
    """``'image_2'`` -> ``('images', 1)``."""
    match = _MEDIA_KEY.match(key)
    if not match or match.group(1) not in _PLURAL:
        raise DatasetFormatError(f'unsupported media key {key!r} (expected e.g. image_1, video_1)', file=file)
    return _PLURAL[match.group(1)], int(match.group(2)) - 1


def convert_v1_to_v2(v1: Mapping[str, Any], *, file: str | None = None) -> dict[str, Any]:
    """``{'annotation_data': <v2 document>, 'annotation_meta': <copy of the v1 document>}``."""
    if not isinstance(v1, Mapping) or not isinstance(v1.get('annotations', {}), Mapping):
        raise DatasetFormatError('not a DM v1 document (no "annotations" object)', file=file)
    annotations: Mapping[str, Any] = v1.get('annotations') or {}
    geometry: Mapping[str, Any] = v1.get('annotationsData') or {}
    if not isinstance(geometry, Mapping):
        raise DatasetFormatError('"annotationsData" must be an object', file=file, key='annotationsData')
    media: dict[str, list[dict[str, list[dict[str, Any]]]]] = {}
    classes: dict[str, dict[str, None]] = {}
    for key in sorted(set(annotations) | set(geometry), key=_media_order):
        plural, index = media_key(key, file=file)
        slots = media.setdefault(plural, [])
        while len(slots) <= index:
            slots.append({})
        data_by_id: dict[Any, Any] = {}
        for position, entry in enumerate(_as_list(geometry.get(key), file, f'annotationsData.{key}')):
            if not isinstance(entry, Mapping) or not isinstance(entry.get('id', ''), (str, int)):
                raise DatasetFormatError(
                    'expected {id, coordinate}', file=file, key=f'annotationsData.{key}[{position}]'
                )
            data_by_id[entry.get('id')] = entry
        for position, ann in enumerate(_as_list(annotations.get(key), file, f'annotations.{key}')):
            where = f'annotations.{key}[{position}]'
            if not isinstance(ann, Mapping) or not isinstance(ann.get('tool'), str):
                raise DatasetFormatError('annotation without a "tool"', file=file, key=where)
            if not isinstance(ann.get('id', ''), (str, int)):
                raise DatasetFormatError('annotation "id" must be a string', file=file, key=where)
            tool = normalise_tool(ann['tool'])
            converted = _annotation_to_v2(tool, ann, data_by_id.get(ann.get('id')), file, f'{key}[{position}]')
            slots[index].setdefault(tool, []).append(converted)
            classes.setdefault(tool, {})[converted['classification']] = None
    v2: dict[str, Any] = {'classification': {tool: list(names) for tool, names in classes.items()}}
    v2.update(media)
    if 'images' not in v2:
        v2['images'] = []
    return {'annotation_data': v2, 'annotation_meta': copy.deepcopy(dict(v1))}


def convert_v2_to_v1(
    v2: Mapping[str, Any], annotation_meta: Mapping[str, Any] | None = None, *, file: str | None = None
) -> dict[str, Any]:
    """The v1 document for ``v2`` (or for ``convert_v1_to_v2``'s result)."""
    if 'annotation_data' in v2:
        annotation_meta = annotation_meta if annotation_meta is not None else v2.get('annotation_meta')
        v2 = v2['annotation_data']
    if not is_v2(v2) and not isinstance(v2.get('classification'), Mapping):
        raise DatasetFormatError('not a DM v2 document (no "images" list)', file=file)
    meta = dict(annotation_meta or {})
    meta_annotations: Mapping[str, Any] = meta.get('annotations') or {}
    meta_geometry: Mapping[str, Any] = meta.get('annotationsData') or {}
    out_annotations: dict[str, list[dict[str, Any]]] = {}
    out_geometry: dict[str, list[dict[str, Any]]] = {}
    for plural, singular in MEDIA_TYPES.items():
        for index, item in enumerate(_as_list(v2.get(plural), file, plural)):
            if not isinstance(item, Mapping) or not all(isinstance(v, list) for v in item.values()):
                raise DatasetFormatError('expected an object of annotation lists', file=file, key=f'{plural}[{index}]')
            key = f'{singular}_{index + 1}'
            old_anns = {a.get('id'): (i, a) for i, a in enumerate(meta_annotations.get(key) or [])}
            old_data = {d.get('id'): d for d in meta_geometry.get(key) or []}
            pairs: list[tuple[tuple[int, int], dict[str, Any], dict[str, Any]]] = []
            for tool, anns in item.items():
                for ann in anns:
                    try:
                        position, old = old_anns.get(ann.get('id'), (None, None))
                        meta_ann, meta_data = _annotation_to_v1(tool, ann, old, old_data.get(ann.get('id')))
                    except (TypeError, ValueError, KeyError, AttributeError, IndexError):  # not a v2 annotation
                        raise DatasetFormatError(
                            f'{tool} annotation has invalid data', file=file, key=f'{plural}[{index}].{tool}'
                        ) from None
                    order = (0, position) if position is not None else (1, len(pairs))
                    pairs.append((order, meta_ann, meta_data))
            pairs.sort(key=lambda pair: pair[0])
            out_annotations[key] = [p[1] for p in pairs]
            out_geometry[key] = [p[2] for p in pairs]
    v1: dict[str, Any] = {'annotations': out_annotations, 'annotationsData': out_geometry}
    for name, default in _V1_TOP_DEFAULTS.items():
        v1[name] = copy.deepcopy(meta.get(name, default))
    for name, value in meta.items():
        if name not in v1:
            v1[name] = copy.deepcopy(value)
    if meta:  # keep the original key order so a round trip is equal even as text
        v1 = {name: v1[name] for name in [*meta, *(k for k in v1 if k not in meta)]}
    return v1


def _annotation_to_v2(
    tool: str, ann: Mapping[str, Any], data: Mapping[str, Any] | None, file: str | None, where: str
) -> dict[str, Any]:
    classification = ann.get('classification') or {}
    if not isinstance(classification, Mapping):
        raise DatasetFormatError('"classification" must be an object', file=file, key=where)
    label = classification.get('class', '')
    attrs = [{'name': name, 'value': value} for name, value in classification.items() if name != 'class']
    coordinate: Any = (data or {}).get('coordinate')
    try:
        if tool == 'bounding_box':
            value: Any = [coordinate['x'], coordinate['y'], coordinate['width'], coordinate['height']]
            if 'rotation' in coordinate:
                attrs.append({'name': 'rotation', 'value': coordinate['rotation']})
        elif tool in ('polygon', 'polyline'):
            value = [[point['x'], point['y']] for point in coordinate]
        elif tool == 'keypoint':
            point = coordinate[0] if isinstance(coordinate, list) else coordinate
            value = [point['x'], point['y']]
        elif tool == 'classification':
            value = {}
        else:
            value = copy.deepcopy(coordinate) if coordinate is not None else {}
    except (KeyError, TypeError, IndexError):
        raise DatasetFormatError(f'{tool} annotation has no valid coordinate', file=file, key=where) from None
    return {
        'id': ann.get('id'),
        'classification': label if isinstance(label, str) else str(label),
        'attrs': attrs,
        'data': value,
    }


def _annotation_to_v1(
    tool: str, ann: Mapping[str, Any], old: Mapping[str, Any] | None, old_data: Mapping[str, Any] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    label = ann.get('classification', '')
    classification: dict[str, Any] = {'class': label}
    rotation = None
    for attr in ann.get('attrs') or []:
        name = attr.get('name')
        if not isinstance(name, str) or name.startswith('_'):
            continue  # internal attributes are not part of v1
        if tool == 'bounding_box' and name == 'rotation':
            rotation = attr.get('value')
            continue
        classification[name] = attr.get('value')
    data: Any = ann.get('data')
    coordinate: Any
    if tool == 'bounding_box':
        x, y, w, h = data
        coordinate = {'x': x, 'y': y, 'width': w, 'height': h}
        if rotation is not None:
            coordinate['rotation'] = rotation
    elif tool in ('polygon', 'polyline'):
        old_points = (old_data or {}).get('coordinate') or []
        coordinate = []
        for i, (x, y) in enumerate(data):
            point_id = old_points[i].get('id') if i < len(old_points) and isinstance(old_points[i], dict) else None
            coordinate.append({'x': x, 'y': y, 'id': point_id or f'{ann.get("id")}-{i}'})
    elif tool == 'keypoint':
        coordinate = {'x': data[0], 'y': data[1]}
    elif tool == 'classification':
        coordinate = None
    else:
        coordinate = copy.deepcopy(data)
    if old is not None:
        meta_ann = copy.deepcopy(dict(old))
        meta_ann['classification'] = classification
    else:
        meta_ann = {
            'id': ann.get('id'),
            'tool': tool,
            **_DEFAULT_META,
            'classification': classification,
            'label': [label],
        }
    meta_data = copy.deepcopy(dict(old_data)) if old_data is not None else {'id': ann.get('id')}
    if coordinate is not None:
        meta_data['coordinate'] = coordinate
    else:
        meta_data.pop('coordinate', None)
    return meta_ann, meta_data


def _as_list(value: Any, file: str | None, key: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise DatasetFormatError('expected a list', file=file, key=key)
    return value


def _media_order(key: str) -> tuple[str, int]:
    match = _MEDIA_KEY.match(key)
    return (match.group(1), int(match.group(2))) if match else (key, 0)
