"""``get_converter`` and the converter classes: stream a reader into a writer, then place the
output atomically.

``convert()`` runs the conversion into a private staging folder and returns the summary;
``save_to_folder(out)`` moves that staging folder into place (or, when ``convert()`` was not called,
converts straight into a temporary folder beside ``out``) and renames it to ``out``. A failed run
leaves no half-written output.
"""

from __future__ import annotations

import os
import shutil
import warnings
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ClassVar

from synapse_sdk.core._atomic import clean_stale, scratch_dir, temp_path
from synapse_sdk.utils.converters._base import ClassMap, Writer
from synapse_sdk.utils.converters._detect import detect_layout
from synapse_sdk.utils.converters._formats import READERS, WRITERS, DatasetFormat, dm_version, format_name
from synapse_sdk.utils.converters._layout import ImageMode
from synapse_sdk.utils.converters._nothing import nothing_converted
from synapse_sdk.utils.converters._parallel import Spec, write_parallel
from synapse_sdk.utils.converters._report import ConversionSummary, Report
from synapse_sdk.utils.converters._safety import check_output, output_lock
from synapse_sdk.utils.converters._yolo import TASKS as YOLO_TASKS
from synapse_sdk.utils.converters.errors import OutputExistsError, UnsupportedFormatError

Progress = Callable[[int, 'int | None'], None]


class DatasetConverter:
    """Converts the dataset at ``root_dir`` from ``source`` format to ``target`` format.

    ``is_categorized=None`` (the default) detects the splits; ``True``/``False`` force them.
    ``images_dir`` is one more folder to look in for the images (when the layout does not say).
    ``strict=True`` raises on the first skipped or changed item instead of reporting it;
    ``task`` ('detect', 'segment', 'pose' or 'auto', the default) is the one task of a YOLO output;
    ``class_names`` fixes the class order (YOLO ids, COCO category ids); ``images`` is ``'copy'``,
    ``'link'`` (hard link when possible) or ``'none'``; ``progress(done, total)`` is called per item.
    ``workers=N`` writes the items of a per-image format (YOLO, VOC, DM) on N processes, with the
    same output as one process; other formats write on one.
    """

    source_format: ClassVar[str | None] = None
    target_format: ClassVar[str | None] = None

    def __init__(
        self,
        root_dir: str | os.PathLike[str] | None = None,
        is_categorized: bool | None = None,
        *,
        source: str | DatasetFormat | None = None,
        target: str | DatasetFormat | None = None,
        strict: bool = False,
        class_names: Sequence[str] | None = None,
        images: ImageMode = 'copy',
        progress: Progress | None = None,
        is_categorized_dataset: bool | None = None,
        images_dir: str | os.PathLike[str] | None = None,
        workers: int = 1,
        **options: Any,
    ) -> None:
        if root_dir is None:
            raise TypeError(f'{type(self).__name__} needs root_dir (the dataset folder)')
        if is_categorized_dataset is not None:
            warnings.warn('is_categorized_dataset is now is_categorized', DeprecationWarning, stacklevel=2)
            is_categorized = is_categorized_dataset
        source = source or self.source_format
        target = target or self.target_format
        if source is None or target is None:
            raise UnsupportedFormatError('source and target formats are required')
        self.source = format_name(source, READERS)
        self.target = format_name(target, WRITERS)
        if images not in ('copy', 'link', 'none'):
            raise ValueError(f"images must be 'copy', 'link' or 'none', not {images!r}")
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f'workers must be a whole number of processes (1 or more), not {workers!r}')
        task = options.get('task')
        if task is not None and task not in YOLO_TASKS:
            raise ValueError(f'task must be one of {", ".join(YOLO_TASKS)}, not {task!r}')
        self.root_dir = Path(root_dir)
        self.is_categorized = None if is_categorized is None else bool(is_categorized)
        self.images_dir = None if images_dir is None else Path(images_dir)
        self.strict = strict
        self.class_names = list(class_names) if class_names else None
        self.images: ImageMode = images
        self.progress = progress
        self.workers = workers
        self.options = options
        self.summary: ConversionSummary | None = None
        self._staged: tuple[Path, Path, Writer | None] | None = None
        self._cleanup: weakref.finalize[Any, Any] | None = None

    def __repr__(self) -> str:
        return f'{type(self).__name__}(source={self.source!r}, target={self.target!r}, root_dir={str(self.root_dir)!r})'

    def convert(self) -> ConversionSummary:
        """Convert into a staging folder; return counts per split and kind, classes and the report."""
        self._discard_staged()
        staging = scratch_dir('convert')
        self._cleanup = weakref.finalize(self, shutil.rmtree, staging, True)
        try:
            summary, writer = self._run(staging / 'out', final=None)
        except BaseException:
            self._discard_staged()
            shutil.rmtree(staging, ignore_errors=True)
            raise
        self._staged = (staging, staging / 'out', writer)
        return summary

    def save_to_folder(self, output_dir: str | os.PathLike[str], *, overwrite: bool = False) -> ConversionSummary:
        """Write the converted dataset to ``output_dir`` atomically; return the summary."""
        out = Path(output_dir).absolute()
        check_output(self.root_dir, out, images_dir=self.images_dir)
        out.parent.mkdir(parents=True, exist_ok=True)
        with output_lock(out):
            if out.exists() and (not out.is_dir() or any(out.iterdir())) and not overwrite:
                raise OutputExistsError(
                    'output folder exists and is not empty; pass overwrite=True to replace it',
                    file=out,
                    details={'cli_message': f'{out}: output folder exists and is not empty; pass --overwrite'},
                )
            return self._save(out)

    def _save(self, out: Path) -> ConversionSummary:
        clean_stale(out.parent)  # a killed run's temporary folder goes now
        temp = temp_path(out)
        try:
            if self._staged is not None:
                staging, folder, writer = self._staged
                self._staged = None
                shutil.move(str(folder), str(temp))
                shutil.rmtree(staging, ignore_errors=True)
                if writer is not None:
                    writer.finish(out, temp)
                summary = self.summary
                assert summary is not None
            else:
                summary, writer = self._run(temp, final=out)
                if writer is not None:
                    writer.finish(out, temp)
            _swap_into_place(temp, out)
        except BaseException:
            shutil.rmtree(temp, ignore_errors=True)
            raise
        summary.output = str(out)
        return summary

    def _run(self, out: Path, *, final: Path | None) -> tuple[ConversionSummary, Writer | None]:
        report = Report(strict=self.strict)
        summary = ConversionSummary(self.source, self.target, report=report)
        self.summary = summary
        source_version, target_version = dm_version(self.source, READERS), dm_version(self.target, WRITERS)
        if source_version and target_version:
            from synapse_sdk.utils.converters._dm_dataset import convert_dm_dataset

            out.mkdir(parents=True, exist_ok=True)
            convert_dm_dataset(
                self.root_dir,
                out,
                source=source_version,
                target=target_version,
                is_categorized=self.is_categorized,
                report=report,
                summary=summary,
                images=self.images,
                progress=self.progress,
                keep_meta=bool(self.options.get('keep_meta', True)),
                images_dir=self.images_dir,
            )
            if not summary.total_images:
                raise nothing_converted(self.root_dir, report, None, self.source)
            return summary, None
        reading: dict[str, Any] = {
            'is_categorized': self.is_categorized,
            'class_names': self.class_names,
            'images_dir': self.images_dir,
            **self.options,
        }
        reader = READERS.load(self.source)(self.root_dir, report=report, **reading)
        classes = ClassMap(self.class_names or reader.class_names() or ())
        keypoints = reader.keypoint_count()
        out.mkdir(parents=True, exist_ok=True)
        writing: dict[str, Any] = {
            'images': self.images,
            'final': final,
            'declared_task': 'pose' if keypoints else None,
            'kpt_shape': (keypoints, 3) if keypoints else None,
            **self.options,
        }
        writer = WRITERS.load(self.target)(out, report=report, classes=classes, summary=summary, **writing)
        total = reader.count() if self.progress else None
        done = 0

        def step(count: int) -> None:
            nonlocal done
            done += count
            if self.progress:
                self.progress(done, total)

        if self.workers > 1 and writer.parallel():
            spec = Spec(self.source, self.target, self.root_dir, out, self.strict, classes.names, reading, writing)
            write_parallel(reader, writer, spec, self.workers, done=step)
        else:
            for item in reader.items():
                writer.prepare(item)
                writer.write_item(item)
                step(1)
        if not summary.total_images:
            raise nothing_converted(self.root_dir, report, writer.first_missing, self.source)
        writer.close()
        summary.classes = list(classes.names)
        return summary, writer

    def _discard_staged(self) -> None:
        if self._cleanup is not None:
            self._cleanup()
            self._cleanup = None
        self._staged = None


def _swap_into_place(temp: Path, out: Path) -> None:
    if out.is_dir() and not any(out.iterdir()):
        out.rmdir()
    if out.exists():
        trash = temp_path(out)
        os.rename(out, trash)
        try:
            os.rename(temp, out)
        except BaseException:
            os.rename(trash, out)
            raise
        shutil.rmtree(trash, ignore_errors=True)
    else:
        os.rename(temp, out)


class _DMConverter(DatasetConverter):
    """A converter with DM on one side; ``dm_version`` ('v1' or 'v2') picks the DM schema."""

    dm_side: ClassVar[str] = 'source'

    def __init__(
        self,
        root_dir: str | os.PathLike[str] | None = None,
        is_categorized: bool | None = None,
        *,
        dm_version: str = 'v2',
        **kwargs: Any,
    ) -> None:
        version = str(dm_version).lower().removeprefix('dm_')
        if version not in ('v1', 'v2'):
            raise UnsupportedFormatError(f"dm_version must be 'v1' or 'v2', not {dm_version!r}")
        kwargs.setdefault(self.dm_side, f'dm_{version}')
        super().__init__(root_dir, is_categorized, **kwargs)
        self.dm_version = version


class FromDMToYOLOConverter(_DMConverter):
    target_format = 'yolo'


class FromDMToCOCOConverter(_DMConverter):
    target_format = 'coco'


class FromDMToPascalConverter(_DMConverter):
    target_format = 'pascal'


class YOLOToDMConverter(_DMConverter):
    source_format = 'yolo'
    dm_side = 'target'


class COCOToDMConverter(_DMConverter):
    source_format = 'coco'
    dm_side = 'target'


class PascalToDMConverter(_DMConverter):
    source_format = 'pascal'
    dm_side = 'target'


class DMV1ToV2Converter(DatasetConverter):
    source_format = 'dm_v1'
    target_format = 'dm_v2'


class DMV2ToV1Converter(DatasetConverter):
    source_format = 'dm_v2'
    target_format = 'dm_v1'


_NAMED: dict[tuple[str, str], type[_DMConverter]] = {
    ('dm', 'yolo'): FromDMToYOLOConverter,
    ('dm', 'coco'): FromDMToCOCOConverter,
    ('dm', 'pascal'): FromDMToPascalConverter,
    ('yolo', 'dm'): YOLOToDMConverter,
    ('coco', 'dm'): COCOToDMConverter,
    ('pascal', 'dm'): PascalToDMConverter,
}


def get_converter(
    source: str | DatasetFormat,
    target: str | DatasetFormat,
    root_dir: str | os.PathLike[str] | None = None,
    is_categorized: bool | None = None,
    **kwargs: Any,
) -> DatasetConverter:
    """The converter from ``source`` to ``target`` format (``'dm_v1'``/``'dm_v2'`` select the DM version).

    ``source='auto'`` reads the format from the dataset's layout (:func:`detect_layout`).
    """
    if str(source) == 'auto':
        if root_dir is None:
            raise TypeError("source='auto' needs root_dir (the dataset folder)")
        images_dir = kwargs.get('images_dir')
        source = detect_layout(root_dir, images_dir=images_dir).format
    source_name = format_name(source, READERS)
    target_name = format_name(target, WRITERS)
    src_version, dst_version = dm_version(source_name, READERS), dm_version(target_name, WRITERS)
    key = ('dm' if src_version else source_name, 'dm' if dst_version else target_name)
    named = _NAMED.get(key)
    if named is not None:
        version = src_version or dst_version or 'v2'
        given = kwargs.pop('dm_version', None)
        if given is not None and str(given).lower().removeprefix('dm_') != version:
            raise UnsupportedFormatError(
                f'dm_version={given!r} contradicts the format {source_name if src_version else target_name!r}'
            )
        return named(root_dir, is_categorized, dm_version=version, **kwargs)
    if src_version and dst_version and src_version != dst_version:
        cls: type[DatasetConverter] = DMV1ToV2Converter if src_version == 'v1' else DMV2ToV1Converter
        return cls(root_dir, is_categorized, **kwargs)
    return DatasetConverter(root_dir, is_categorized, source=source_name, target=target_name, **kwargs)
