"""``workers=N``: convert into a per-image format on N processes, with the output of one process.

The main process lists the items (names, renames, where each image is) and leaves the costly part
to the workers: each completes an item (parses its annotations, :meth:`Reader.complete`) and makes
its files with its own copy of the writer; the main process writes them (:attr:`Writer.files`).
A batch starts from the state the items before it decide (the class list, the YOLO task); the
main process takes the batches back in item order, and a batch that started from a state which
turned out different (another batch in flight met a new class first) is made again from the right
one. So the files, the report and the summary equal a one-process run. At most ``2 * N`` batches
are in flight: memory stays flat. A reader may also hand part of its listing to the workers
(:attr:`Reader.offload`: COCO has its one annotation file parsed there, piece by piece).
"""

from __future__ import annotations

import gc
import multiprocessing
import sys
import threading
from collections import deque
from collections.abc import Callable, Generator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from queue import Queue
from typing import Any

from synapse_sdk.utils.converters._base import ClassMap, Reader, Writer
from synapse_sdk.utils.converters._formats import READERS, WRITERS
from synapse_sdk.utils.converters._model import Item
from synapse_sdk.utils.converters._report import ConversionSummary, Report, ReportEntry

BATCH = 128
QUEUED_BATCHES = 2  # batches of files waiting for the file thread


@dataclass(frozen=True)
class Spec:
    """How a worker makes its copies of the reader and the writer."""

    source: str
    target: str
    root: Path
    out: Path
    strict: bool
    names: list[str]
    reader: dict[str, Any]
    writer: dict[str, Any]


@dataclass(frozen=True)
class _Start:
    """The state a batch was written from."""

    names: tuple[str, ...]
    shared: dict[str, Any]


@dataclass
class _Batch:
    entries: list[list[ReportEntry]]  # per item, in order
    images: dict[str, int]
    annotations: dict[str, dict[str, int]]
    first_missing: Item | None
    names: list[str]  # the class list after the batch
    shared: dict[str, Any]  # the writer's state after the batch
    delta: dict[str, Any]
    files: list[tuple[str, bytes | Path]]  # what the batch writes, for the main process to write


_copies: tuple[Reader, Writer] | None = None


def _start(spec: Spec) -> None:
    global _copies
    # what the worker inherited by fork stays out of its garbage collections: scanning it cost
    # time, and wrote to every page of it (copy-on-write)
    gc.freeze()
    report = Report(strict=spec.strict)
    reader = READERS.load(spec.source)(spec.root, report=report, **spec.reader)
    writer = WRITERS.load(spec.target)(
        spec.out, report=report, classes=ClassMap(spec.names), summary=ConversionSummary('', spec.target), **spec.writer
    )
    _copies = (reader, writer)


def _write(items: list[Item], start: _Start) -> _Batch:
    assert _copies is not None, 'worker used before its initializer ran'
    reader, writer = _copies
    report, summary, classes = writer.report, writer.summary, writer.classes
    classes.reset(start.names)
    writer.adopt(start.shared)
    summary.images, summary.annotations = {}, {}
    writer.first_missing = None
    writer.files = []
    entries = []
    for pending in items:
        report.entries = []
        item = reader.complete(pending) if pending.deferred is not None else pending
        if item is not None:
            writer.write_item(item)
        entries.append(report.entries)
    return _Batch(
        entries,
        summary.images,
        summary.annotations,
        writer.first_missing,
        list(classes.names),
        writer.shared(),
        writer.delta(),
        writer.files,
    )


def _context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds and needs no ``if __name__ == '__main__'`` guard in the
    # caller's script; with other threads alive (or off Linux) it is unsafe, so spawn instead
    if sys.platform.startswith('linux') and threading.active_count() == 1:
        return multiprocessing.get_context('fork')
    return multiprocessing.get_context('spawn')


class _FileWriter:
    """Writes the workers' files on a thread of the main process, in order.

    Creating a file is kernel work that releases the GIL: on its own thread it overlaps the main
    process's Python work (listing the next items, merging reports) instead of adding to it. The
    thread starts with the first files, after the pool has forked its workers (fork copies only
    the calling thread).
    """

    def __init__(self, writer: Writer) -> None:
        self._writer = writer
        # a few batches at most: when the disk is slower than the workers, they wait, not memory
        self._queue: Queue[list[tuple[str, bytes | Path]] | None] = Queue(maxsize=QUEUED_BATCHES)
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def _run(self) -> None:
        while (files := self._queue.get()) is not None:
            if self._error is None:
                try:
                    self._writer.write_files(files)
                except BaseException as error:  # re-raised in the main thread by check() or close()
                    self._error = error

    def check(self) -> None:
        if self._error is not None:
            raise self._error

    def write(self, files: list[tuple[str, bytes | Path]]) -> None:
        self.check()
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='synapse-write-files', daemon=True)
            self._thread.start()
        self._queue.put(files)

    def close(self, *, quiet: bool = False) -> None:
        """Wait for every file queued; raise what writing one raised (unless ``quiet``: another
        error is on its way already)."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        if not quiet:
            self.check()


def write_parallel(reader: Reader, writer: Writer, spec: Spec, workers: int, *, done: Callable[[int], None]) -> None:
    """Write ``reader``'s items through copies of ``writer`` on ``workers`` processes; merge into ``writer``."""
    report, summary, classes = writer.report, writer.summary, writer.classes
    pool = ProcessPoolExecutor(workers, mp_context=_context(), initializer=_start, initargs=(spec,))
    reader.defer = True
    reader.offload = pool.submit
    items = reader.items()
    files = _FileWriter(writer)
    # the main process's own report entries (listing an item, renaming it) come before the
    # worker's for that item: each batch keeps them per item, and the report takes both in turn
    pending: deque[tuple[Future[_Batch], list[Item], _Start, list[list[ReportEntry]]]] = deque()

    def state() -> _Start:
        return _Start(tuple(classes.names), writer.shared())

    def take() -> None:
        future, batch, start, before = pending.popleft()
        result = future.result()
        now = state()
        if start != now:  # written from a state an earlier batch has changed since: write it again
            result = pool.submit(_write, batch, now).result()
        files.write(result.files)
        for read, written in zip(before, result.entries, strict=True):
            report.entries.extend(read)
            report.entries.extend(written)
        for split, count in result.images.items():
            summary.images[split] = summary.images.get(split, 0) + count
        for split, kinds in result.annotations.items():
            for kind, count in kinds.items():
                summary.count(split, kind, count)
        if writer.first_missing is None:
            writer.first_missing = result.first_missing
        for name in result.names[len(classes.names) :]:
            classes.id(name)
        writer.adopt(result.shared)
        writer.merge(result.delta)
        done(len(batch))

    def held() -> list[ReportEntry]:
        entries = report.entries[mark:]
        del report.entries[mark:]
        return entries

    def submit(batch: list[Item], before: list[list[ReportEntry]]) -> None:
        start = state()
        pending.append((pool.submit(_write, batch, start), batch, start, before))

    mark = len(report.entries)
    try:
        batch: list[Item] = []
        before: list[list[ReportEntry]] = []
        first = True
        for item in items:
            writer.prepare(item)
            batch.append(item)
            before.append(held())
            if len(batch) == BATCH:
                submit(batch, before)
                batch, before = [], []
                # the first batch meets most classes: the others start from what it found
                while pending and (first or len(pending) >= 2 * workers):
                    take()
                    mark = len(report.entries)
                first = False
        if batch:
            submit(batch, before)
        tail = held()  # what the reader reported after its last item
        while pending:
            take()
        report.entries.extend(tail)
        files.close()
    finally:
        if isinstance(items, Generator):
            items.close()  # the reader gives up what it has in flight before the pool goes
        reader.offload = None
        pool.shutdown(wait=True, cancel_futures=True)
        files.close(quiet=True)
