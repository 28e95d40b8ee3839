"""Layout detection: which format a dataset folder holds, in which layout, with which splits.

Real tools export the same format in many layouts (MS-COCO 2017's ``annotations/instances_*.json``
with sibling image folders, Roboflow's ``train/_annotations.coco.json``, Ultralytics' ``data.yaml``,
Darknet's ``obj.data``, ``VOCdevkit/VOC2012``, ...). Readers ask :func:`detect_layout` for the
:class:`Part` list instead of assuming one layout. Detection is cheap: it lists a few folders and
reads the small index files (``data.yaml``, ``obj.data``), never the label files.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from synapse_sdk.utils.converters._layout import IMAGE_EXTENSIONS, SPLIT_ALIASES
from synapse_sdk.utils.converters.errors import DatasetFormatError, DatasetLayoutError

_IMAGE_EXT = frozenset(IMAGE_EXTENSIONS)
_SPLIT_OF = {alias: split for split, aliases in SPLIT_ALIASES.items() for alias in aliases}
_SPLIT_OF['trainval'] = 'trainval'
_FLAT_NAMES = ('default', 'all', 'images', 'data')
COCO_FILES = ('annotations.json', '_annotations.coco.json')
YAML_NAMES = ('dataset.yaml', 'data.yaml')
_COCO_SKIP = ('captions_', 'panoptic_', 'image_info_', 'stuff_')


@dataclass
class Part:
    """One annotation source of one split.

    ``annotations``: COCO JSON file; YOLO labels folder (the images folder for Darknet, where labels
    lie beside the images); VOC ``Annotations`` folder; DM split folder. ``images``: folders to look
    in for the images, first wins. ``listing``: a text file naming the images (YOLO ``train.txt``,
    VOC ``ImageSets/Main/train.txt``).
    """

    split: str
    annotations: Path
    images: list[Path] = field(default_factory=list)
    listing: Path | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            'split': self.split,
            'annotations': str(self.annotations),
            'images': [str(p) for p in self.images],
            'listing': None if self.listing is None else str(self.listing),
        }


@dataclass
class Layout:
    """What :func:`detect_layout` found: the format, a layout name, the parts and what it could not place."""

    format: str
    layout: str
    root: Path
    parts: list[Part] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    config: Path | None = None
    names: list[str] | None = None

    @property
    def splits(self) -> list[str]:
        found: list[str] = []
        for part in self.parts:
            if part.split not in found:
                found.append(part.split)
        return found

    @property
    def is_categorized(self) -> bool:
        return any(part.split for part in self.parts)

    def to_dict(self) -> dict[str, Any]:
        return {
            'format': self.format,
            'layout': self.layout,
            'root': str(self.root),
            'splits': self.splits,
            'parts': [part.to_dict() for part in self.parts],
            'unplaced': list(self.unplaced),
            'notes': list(self.notes),
            'config': None if self.config is None else str(self.config),
            'names': self.names,
        }


def split_name(folder: str) -> str:
    """``'val2017'`` -> ``'valid'``, ``'train'`` -> ``'train'``, ``'default'`` -> ``''``, others as written."""
    lowered = folder.lower()
    if lowered in _FLAT_NAMES:
        return ''
    base = re.sub(r'[-_]?\d{4}$', '', lowered) or lowered
    return _SPLIT_OF.get(base, _SPLIT_OF.get(lowered, folder))


def _entries(folder: Path) -> list[os.DirEntry[str]]:
    try:
        return sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return []


def _subdirs(folder: Path) -> list[Path]:
    return [Path(e.path) for e in _entries(folder) if e.is_dir() and not e.name.startswith('.')]


def _any_file(folder: Path, test: Any) -> bool:
    """Does ``folder`` hold a file whose lower-cased name passes ``test``? Stops at the first one."""
    try:
        with os.scandir(folder) as entries:
            return any(test(e.name.lower()) and e.is_file() for e in entries)
    except OSError:
        return False


def _has_images(folder: Path) -> bool:
    return _any_file(folder, lambda name: os.path.splitext(name)[1] in _IMAGE_EXT)


def _has_ext(folder: Path, ext: str) -> bool:
    return _any_file(folder, lambda name: name.endswith(ext))


def _head(path: Path, size: int = 65536) -> bytes:
    try:
        with open(path, 'rb') as handle:
            return handle.read(size)
    except OSError:
        return b''


# --- COCO -------------------------------------------------------------------------------------


def _looks_coco(path: Path) -> bool:
    head = _head(path)
    return head.lstrip()[:1] == b'{' and (b'"images"' in head or b'"annotations"' in head or b'"categories"' in head)


def detect_coco(root: Path, images_dir: Path | None = None) -> Layout | None:
    extra = [images_dir] if images_dir else []
    if root.is_file():
        base = root.parent
        siblings = _sibling_image_dirs(base.parent, root) if base.name == 'annotations' else []
        folders = [base, base / 'images', *siblings]
        part = Part('', root, _unique([*extra, *folders]))
        return Layout('coco', 'coco-file', root, [part])
    if not root.is_dir():
        return None
    layout = Layout('coco', '', root)
    used: set[Path] = set()
    for name in COCO_FILES:  # flat: root/annotations.json (synapse, supervision)
        if (root / name).is_file():
            layout.parts.append(Part('', root / name, _unique([*extra, root, root / 'images'])))
            layout.layout = 'coco'
            break
    for sub in _subdirs(root):  # Roboflow: train/_annotations.coco.json; synapse: train/annotations.json
        for name in COCO_FILES:
            if (sub / name).is_file():
                layout.parts.append(Part(split_name(sub.name), sub / name, _unique([*extra, sub, sub / 'images'])))
                used.add(sub)
                layout.layout = layout.layout or ('roboflow-coco' if name.startswith('_') else 'coco-splits')
                break
    ann_dir = root / 'annotations'
    if ann_dir.is_dir():  # MS-COCO 2017, CVAT (instances_default.json), Datumaro (images/<subset>/)
        chosen: dict[str, Path] = {}
        for entry in _entries(ann_dir):
            name = entry.name
            if not (entry.is_file() and name.endswith('.json')):
                continue
            if name.startswith(_COCO_SKIP):
                layout.unplaced.append(f'{entry.path} (not object annotations; pass it as PATH to read it)')
                continue
            subset = name[:-5]
            for prefix in ('instances_', 'person_keypoints_'):
                if subset.startswith(prefix):
                    subset = subset[len(prefix) :]
                    break
            if subset in chosen:
                layout.unplaced.append(f'{entry.path} (same images as {chosen[subset].name}; pass it as PATH)')
                continue
            if not _looks_coco(Path(entry.path)):
                continue
            chosen[subset] = Path(entry.path)
        for subset, path in chosen.items():
            if len(chosen) == 1 and subset == 'annotations':
                subset = 'default'
            folders = [root / subset, root / 'images' / subset, root / 'images', root, ann_dir]
            used.update(f for f in folders if f.is_dir())
            layout.parts.append(Part(split_name(subset), path, _unique([*extra, *folders])))
        if chosen and not layout.layout:
            layout.layout = 'cvat-coco' if 'default' in chosen else 'coco-2017'
    if not layout.parts:  # any COCO JSON at the root (supervision's as_coco writes where it is told)
        for entry in _entries(root):
            if entry.is_file() and entry.name.endswith('.json') and _looks_coco(Path(entry.path)):
                layout.parts.append(Part('', Path(entry.path), _unique([*extra, root, root / 'images'])))
                layout.layout = 'coco'
                break
    if not layout.parts:
        return None
    placed = {root, *used, *(f for p in layout.parts for f in p.images)}
    for sub in _subdirs(root):
        if sub not in placed and sub.name != 'annotations' and _has_images(sub):
            layout.unplaced.append(f'{sub} (images no annotation file refers to)')
    return layout


def _sibling_image_dirs(parent: Path, json_file: Path) -> list[Path]:
    """For ``annotations/instances_val2017.json``: ``val2017/`` and ``images/val2017/`` beside ``annotations/``."""
    subset = json_file.stem
    for prefix in ('instances_', 'person_keypoints_'):
        subset = subset.removeprefix(prefix)
    return [parent / subset, parent / 'images' / subset, parent / 'images', parent]


def _unique(paths: list[Path]) -> list[Path]:
    seen: list[Path] = []
    for path in paths:
        if path not in seen:
            seen.append(path)
    return seen


# --- YOLO -------------------------------------------------------------------------------------


def read_text(path: Path, what: str = 'file') -> str:
    """A small text file of a dataset (YAML, image list, names); bytes that are not UTF-8 are a typed error."""
    try:
        return path.read_text(encoding='utf-8')
    except UnicodeDecodeError:
        raise DatasetFormatError(f'{what} is not UTF-8 text', file=path) from None
    except OSError as error:
        raise DatasetFormatError(f'cannot read {what} ({error.strerror})', file=path) from None


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(read_text(path, 'dataset YAML'))
    except yaml.YAMLError as error:
        mark = getattr(error, 'problem_mark', None)
        raise DatasetFormatError(
            f'invalid YAML: {error}', file=path, line=None if mark is None else mark.line + 1
        ) from None
    if not isinstance(data, dict):
        raise DatasetFormatError('dataset YAML must be a mapping', file=path)
    return data


def _yaml_file(root: Path) -> Path | None:
    for name in YAML_NAMES:
        if (root / name).is_file():
            return root / name
    candidates = [Path(e.path) for e in _entries(root) if e.is_file() and e.name.endswith(('.yaml', '.yml'))]
    for path in candidates:
        if b'names' in _head(path, 16384):
            return path
    return None


def yolo_names(value: Any, file: Path | None) -> list[str] | None:
    """Ultralytics ``names``: a list, or a dict ``{0: name, ...}``."""
    if isinstance(value, dict):
        try:
            return [str(value[i]) for i in sorted(int(k) for k in value)]
        except (KeyError, ValueError):
            raise DatasetFormatError('"names" keys must be 0..N-1', file=file) from None
    if isinstance(value, list):
        return [str(n) for n in value]
    return None


def labels_dir_for(images: Path) -> Path:
    """Ultralytics' rule: the last ``images`` folder name becomes ``labels``; else labels lie beside the images."""
    parts = list(images.parts)
    for i in range(len(parts) - 1, -1, -1):
        if parts[i] == 'images':
            parts[i] = 'labels'
            return Path(*parts)
    return images


def _yolo_entry(base: Path, value: str, yaml_dir: Path) -> Path | None:
    """Resolve one ``train:``/``val:`` entry as Ultralytics does (``../x`` falls back to ``x``)."""
    value = value.strip()
    if not value:
        return None
    candidates = [base / value]
    if value.startswith('../'):
        candidates.append(base / value[3:])
    candidates += [yaml_dir / value, yaml_dir / value.removeprefix('../')]
    for candidate in candidates:
        if candidate.exists():
            return Path(os.path.normpath(candidate))
    return None


def detect_yolo(root: Path, images_dir: Path | None = None) -> Layout | None:
    if not root.is_dir():
        return None
    config = _yaml_file(root)
    if config is not None:
        return _ultralytics(root, config, images_dir)
    darknet = _darknet(root)
    if darknet is not None:
        return darknet
    layout = Layout('yolo', '', root)
    if (root / 'classes.txt').is_file():
        layout.names = _lines(root / 'classes.txt')
    for sub in _subdirs(root):  # Roboflow without data.yaml: train/images, train/labels
        if sub.name != 'images' and (sub / 'images').is_dir():
            layout.parts.append(Part(split_name(sub.name) or sub.name, sub / 'labels', [sub / 'images']))
    if (root / 'images').is_dir():
        subs = [s for s in _subdirs(root / 'images') if s.name.lower() in _SPLIT_OF]
        if subs and not _has_images(root / 'images'):
            for sub in subs:
                layout.parts.append(Part(split_name(sub.name), labels_dir_for(sub), [sub]))
        else:
            layout.parts.append(Part('', root / 'labels', [root / 'images']))
    for name in ('img', 'imgs'):
        if not layout.parts and (root / name).is_dir():
            layout.parts.append(Part('', root / 'labels', [root / name]))
    if images_dir is not None and not layout.parts:
        layout.parts.append(Part('', labels_dir_for(images_dir), [images_dir]))
    if not layout.parts:
        return None
    layout.layout = 'yolo-splits' if layout.is_categorized else 'yolo'
    return layout


def _ultralytics(root: Path, config: Path, images_dir: Path | None) -> Layout:
    data = read_yaml(config)
    layout = Layout('yolo', 'ultralytics', root, config=config, names=yolo_names(data.get('names'), config))
    base = root
    raw_path = data.get('path')
    if isinstance(raw_path, str) and raw_path.strip():
        given = Path(raw_path)
        candidate = given if given.is_absolute() else config.parent / given
        if candidate.is_dir():
            base = candidate
        else:
            layout.notes.append(f'path {raw_path!r} in {config.name} does not exist; read relative to {root}')
    for key, split in (('train', 'train'), ('val', 'valid'), ('test', 'test')):
        value = data.get(key)
        values = value if isinstance(value, list) else [value] if isinstance(value, str) else []
        for entry in values:
            if not isinstance(entry, str):
                continue
            found = _yolo_entry(base, entry, config.parent)
            if found is None:
                layout.unplaced.append(f'{key}: {entry} (not found under {base})')
            elif found.is_file() and found.suffix.lower() in _IMAGE_EXT:
                layout.unplaced.append(f'{key}: {entry} (an image file; a split is a folder or a .txt image list)')
            elif found.is_file():
                layout.parts.append(Part(split, found.parent, [found.parent], listing=found))
            elif found.is_dir():
                layout.parts.append(Part(split, labels_dir_for(found), [found]))
    if not layout.parts:  # supervision's data.yaml has only names: images/ + labels/ beside it
        folder = images_dir or next((root / n for n in ('images', 'img', 'imgs') if (root / n).is_dir()), None)
        if folder is None:
            raise DatasetLayoutError(f'{config.name} names no train/val folder and there is no images/', file=config)
        layout.parts.append(Part('', root / 'labels' if folder.parent == root else labels_dir_for(folder), [folder]))
    if any(p.listing for p in layout.parts):
        layout.layout = 'ultralytics-lists'
    elif any('../' in str(data.get(k)) for k in ('train', 'val', 'test')):
        layout.layout = 'roboflow-yolo'
    return _dedupe_parts(layout)


def _dedupe_parts(layout: Layout) -> Layout:
    """``train`` and ``val`` naming the same folder (Ultralytics allows it): read it once, as train."""
    seen: dict[tuple[Path, Path | None], str] = {}
    parts = []
    for part in layout.parts:
        key = (part.images[0] if part.images else part.annotations, part.listing)
        if key in seen:
            layout.notes.append(f'{part.split or "all"} uses the same images as {seen[key] or "all"}; read once')
            continue
        seen[key] = part.split
        parts.append(part)
    if len(parts) == 1 and len(layout.parts) > 1:  # train: images, val: images is a flat dataset
        parts[0].split = ''
        layout.notes.pop()
    layout.parts = parts
    return layout


def _lines(path: Path) -> list[str]:
    return [line.strip() for line in read_text(path, 'list file').splitlines() if line.strip()]


def _darknet(root: Path) -> Layout | None:
    """Darknet/CVAT/Datumaro YOLO 1.1: ``obj.data``, ``obj.names``, ``obj_<subset>_data/``, ``<subset>.txt``."""
    data_file = root / 'obj.data'
    names_file = root / 'obj.names'
    data_dirs = [s for s in _subdirs(root) if re.fullmatch(r'obj_(.+)_data', s.name)]
    if not (data_file.is_file() or (names_file.is_file() and data_dirs)):
        return None
    layout = Layout('yolo', 'darknet', root, config=data_file if data_file.is_file() else None)
    settings: dict[str, str] = {}
    if data_file.is_file():
        for line in read_text(data_file, 'obj.data').splitlines():
            key, sep, value = line.partition('=')
            if sep:
                settings[key.strip()] = value.strip()
        if settings.get('names'):
            found = _strip_prefix(root, settings['names'])
            if found is not None:
                names_file = found
    if names_file.is_file():
        layout.names = _lines(names_file)
    for key in ('train', 'valid', 'val', 'test'):  # Darknet writes valid=, Datumaro val=
        entry = settings.get(key)
        if not entry:
            continue
        listing = _strip_prefix(root, entry)
        if listing is None or not listing.is_file():
            layout.unplaced.append(f'{key} = {entry} (not found)')
            continue
        layout.parts.append(Part(split_name(key), root, [root], listing=listing))
    if not layout.parts:
        for folder in data_dirs:
            subset = re.fullmatch(r'obj_(.+)_data', folder.name).group(1)  # type: ignore[union-attr]
            listing = root / f'{subset}.txt'
            if listing.is_file():
                layout.parts.append(Part(split_name(subset), root, [root], listing=listing))
            else:
                layout.parts.append(Part(split_name(subset), folder, [folder]))
    return layout if layout.parts else None


def _strip_prefix(root: Path, value: str) -> Path | None:
    """``data/train.txt`` (relative to Darknet's working folder) found under ``root``."""
    parts = Path(value.replace('\\', '/')).parts
    if Path(value).is_absolute() and Path(value).exists():
        return Path(value)
    for start in range(len(parts)):
        candidate = root.joinpath(*parts[start:])
        if candidate.exists():
            return candidate
    return None


def resolve_listed(root: Path, listing: Path, line: str) -> Path:
    """One line of a YOLO image list: absolute, ``./x`` (beside the list) or relative to any parent folder."""
    line = line.strip()
    if line.startswith('./'):
        return listing.parent / line[2:]
    path = Path(line)
    if path.is_absolute():
        if path.exists():
            return path
    else:
        for base in (listing.parent, root):
            if (base / path).exists():
                return base / path
    return _strip_prefix(root, line) or listing.parent / line


# --- Pascal VOC -------------------------------------------------------------------------------


_VOC_IMAGE_DIRS = ('JPEGImages', 'Images', 'images')


def _voc_dir_parts(folder: Path, split: str = '') -> list[Part]:
    """One ``VOC20xx``-like folder: ``Annotations/`` + ``JPEGImages/`` (+ ``ImageSets/Main/*.txt``)."""
    annotations = folder / 'Annotations'
    if not annotations.is_dir():
        annotations = folder / 'annotations'
    images = [folder / d for d in _VOC_IMAGE_DIRS if (folder / d).is_dir()] or [folder / 'JPEGImages']
    main = folder / 'ImageSets' / 'Main'
    parts = []
    if not split and main.is_dir():
        for name in ('train', 'val', 'validation', 'test', 'default'):
            if (main / f'{name}.txt').is_file():
                parts.append(Part(split_name(name), annotations, images, listing=main / f'{name}.txt'))
        if not parts and (main / 'trainval.txt').is_file():
            parts.append(Part('trainval', annotations, images, listing=main / 'trainval.txt'))
    return parts or [Part(split, annotations, images)]


def detect_voc(root: Path, images_dir: Path | None = None) -> Layout | None:
    if not root.is_dir():
        return None
    layout = Layout('pascal', '', root)
    if (root / 'labelmap.txt').is_file():
        from synapse_sdk.utils.converters._voc import read_labelmap

        layout.names = read_labelmap(root / 'labelmap.txt')
    devkit = root / 'VOCdevkit' if (root / 'VOCdevkit').is_dir() else root
    years = [s for s in _subdirs(devkit) if re.fullmatch(r'VOC\d{4}', s.name) and (s / 'Annotations').is_dir()]
    if years:
        for year in years:
            layout.parts += _voc_dir_parts(year)
        layout.layout = 'vocdevkit'
    elif (root / 'Annotations').is_dir():
        layout.parts = _voc_dir_parts(root)
        layout.layout = 'voc'
    elif (root / 'annotations').is_dir() and _has_ext(root / 'annotations', '.xml'):  # supervision as_pascal_voc
        layout.parts = _voc_dir_parts(root)
        layout.layout = 'voc'
    else:
        for sub in _subdirs(root):
            split = split_name(sub.name)
            if (sub / 'Annotations').is_dir():
                layout.parts += _voc_dir_parts(sub, split or sub.name)
                layout.layout = 'voc-splits'
            elif _has_ext(sub, '.xml'):  # Roboflow VOC: the XML beside the images
                layout.parts.append(Part(split or sub.name, sub, [sub]))
                layout.layout = 'roboflow-voc'
        if not layout.parts and _has_ext(root, '.xml'):
            layout.parts.append(Part('', root, [root]))
            layout.layout = 'voc-beside'
    if not layout.parts:
        return None
    if images_dir is not None:
        for part in layout.parts:
            part.images.insert(0, images_dir)
    return layout


# --- DM ---------------------------------------------------------------------------------------


def detect_dm(root: Path, images_dir: Path | None = None) -> Layout | None:
    if not root.is_dir():
        return None
    layout = Layout('dm_v2', 'dm', root)
    if (root / 'json').is_dir():
        layout.parts.append(Part('', root, [images_dir or root / 'original_files']))
    for sub in _subdirs(root):
        split = _SPLIT_OF.get(sub.name.lower())
        if split and split != 'trainval' and (sub / 'json').is_dir():
            layout.parts.append(Part(split, sub, [images_dir or sub / 'original_files']))
    if not layout.parts:
        return None
    if len(layout.parts) > 1 and not layout.parts[0].split:
        raise DatasetLayoutError('dataset mixes a flat DM layout (json/) with split folders', file=root)
    layout.layout = 'dm-splits' if layout.is_categorized else 'dm'
    return layout


# --- entry point ------------------------------------------------------------------------------

_DETECTORS = {'coco': detect_coco, 'yolo': detect_yolo, 'pascal': detect_voc, 'dm_v2': detect_dm, 'dm_v1': detect_dm}


def detect_layout(
    path: str | os.PathLike[str],
    fmt: str | None = None,
    *,
    is_categorized: bool | None = None,
    images_dir: str | os.PathLike[str] | None = None,
) -> Layout:
    """The layout of the dataset at ``path`` (of format ``fmt``, or any known format when ``None``).

    ``is_categorized=None`` keeps the splits found; ``True`` requires splits; ``False`` reads every
    part as one flat dataset. ``images_dir`` is one more folder to look in for images.
    """
    root = Path(path)
    images = Path(images_dir) if images_dir is not None else None
    if not root.exists():
        raise DatasetLayoutError('dataset folder does not exist', file=root)
    if images is not None and not images.is_dir():
        raise DatasetLayoutError('images folder does not exist', file=images)
    order = [fmt] if fmt else ['coco', 'dm_v2', 'pascal', 'yolo']
    layout = None
    for name in order:
        detector = _DETECTORS.get(name)
        if detector is None:
            raise DatasetLayoutError(f'layout detection does not know the format {name!r}', file=root)
        layout = detector(root, images)
        if layout is not None:
            if name == 'dm_v1':
                layout.format = 'dm_v1'
            break
    if layout is None:
        what = f'{fmt} dataset' if fmt else 'COCO, YOLO, Pascal VOC or DM dataset'
        raise DatasetLayoutError(f'found no {what} here (try `synapse dataset detect PATH`)', file=root)
    if is_categorized is True and not layout.is_categorized:
        raise DatasetLayoutError(
            'categorized dataset has no split folder (expected train/, valid/ or test/; '
            'drop --categorized for a flat dataset)',
            file=root,
        )
    if is_categorized is False and layout.is_categorized:
        for part in layout.parts:
            part.split = ''
        layout.notes.append('splits read as one flat dataset (is_categorized=False)')
    return layout


def dm_folders(
    root: Path, *, is_categorized: bool | None, images_dir: str | os.PathLike[str] | None = None
) -> list[tuple[str, Path, Path, Path]]:
    """``[(split, json folder, image folder, split folder)]`` of a DM dataset, splits detected."""
    from synapse_sdk.utils.converters._layout import require_dir

    if not root.is_dir():
        raise DatasetLayoutError('dataset folder does not exist', file=root)
    try:
        layout = detect_layout(root, 'dm_v2', is_categorized=is_categorized, images_dir=images_dir)
    except DatasetLayoutError as error:
        if 'found no' not in error.reason:
            raise
        require_dir(root / 'json', 'json')
        raise
    return [
        (
            part.split,
            require_dir(part.annotations / 'json', 'json'),
            require_dir(part.images[0], 'original_files'),
            part.annotations,
        )
        for part in layout.parts
    ]
