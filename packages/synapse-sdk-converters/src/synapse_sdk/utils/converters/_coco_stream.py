"""Read a COCO ``annotations.json`` without loading it: memory stays flat as the image count grows.

``images`` and ``categories`` are small and read whole; ``annotations`` are streamed (by orjson a
window at a time, by ijson when the file is unusual) and handed back grouped per image, in ``images``
order. A cheap byte scan first counts, per image id, an upper bound of its annotations, so an image is
emitted the moment its last annotation arrived: when annotations follow the images order (our writer,
most tools), nothing waits. Annotations that arrive early (any other order, or ``annotations`` before
``images``) wait in a temporary file.
"""

from __future__ import annotations

import itertools
import operator
import pickle
import re
import tempfile
import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import IO, Any, NamedTuple

from synapse_sdk.core._parsing import check_file_depth
from synapse_sdk.core.errors import ParseError
from synapse_sdk.utils.converters._json_chunks import Array, Piece, Unusual, parse_piece
from synapse_sdk.utils.converters._jsonio import DecodeError, dumps, loads
from synapse_sdk.utils.converters.errors import DatasetFormatError

BLOCK = 1 << 20
BUFFERED = 4096  # annotations kept in memory while they wait for their image; more go to disk
_WHITESPACE = b' \t\n\r'
# "image_id" or "item" spelled with \u escapes would hide from the byte scan below; then it gives up.
_ESCAPED_KEY = re.compile(rb'\\u00(?:69|6[dD]|61|67|65|5[fF]|64|74)')
_IMAGE_ID = re.compile(rb'"image_id"[ \t\n\r]*:[ \t\n\r]*(-?\d{1,20})(?!\d)')  # longer: not an int64, parse fails
_UNFINISHED = re.compile(rb'[ \t\n\r]*(?::[ \t\n\r]*-?\d*)?')
_CATEGORIES = b'"categories"'
ERROR_CONTEXT_LIMIT = 256 << 20  # re-parse a broken file with orjson for its line number up to this size


@cache
def _ijson() -> ModuleType:
    import ijson  # type: ignore[import-untyped]

    try:
        backend: ModuleType = ijson.get_backend('yajl2_c')
    except ImportError:  # pragma: no cover - wheels ship the C backend for every supported Python
        warnings.warn('ijson has no C backend here: reading COCO is several times slower', stacklevel=3)
        backend = ijson
    return backend


def _invalid(path: Path, error: Exception) -> DatasetFormatError:
    """The error for a file ijson could not parse; orjson (on a small enough file) tells the line."""
    if path.stat().st_size <= ERROR_CONTEXT_LIMIT:
        try:
            loads(path.read_bytes())
        except DecodeError as precise:
            return DatasetFormatError(f'invalid JSON: {precise}', file=path, line=getattr(precise, 'lineno', None))
    reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return DatasetFormatError(f'invalid JSON: {reason}', file=path)


_DEPTH_CHECKED: dict[tuple[str, int, int], None] = {}


def check_depth(path: Path) -> None:
    """Refuse a file nested deeper than the parsing limit before ijson sees it.

    ijson builds a prefix string per level, so 100,000 nested arrays cost gigabytes; one cheap byte
    pass (core's NestingGuard) per file version stops that.
    """
    info = path.stat()
    key = (str(path), info.st_size, info.st_mtime_ns)
    if key in _DEPTH_CHECKED:
        return
    try:
        check_file_depth(path, str(path))
    except ParseError as error:
        raise DatasetFormatError(error.message.removeprefix(f'{path}: '), file=path) from None
    if len(_DEPTH_CHECKED) > 256:
        _DEPTH_CHECKED.clear()
    _DEPTH_CHECKED[key] = None


@cache
def _parse_errors() -> tuple[type[Exception], ...]:
    from ijson.common import JSONError  # type: ignore[import-untyped]

    return (JSONError, ValueError, UnicodeDecodeError)


def check_object(path: Path) -> None:
    """The document must be a JSON object; what follows only looks inside one."""
    check_depth(path)
    with open(path, 'rb') as handle:
        head = handle.read(4096).lstrip(_WHITESPACE)
        while not head:
            block = handle.read(4096)
            if not block:
                break
            head = block.lstrip(_WHITESPACE)
    if not head.startswith(b'{'):
        raise DatasetFormatError('COCO file must hold a JSON object', file=path)


def top_value(path: Path, key: str) -> Any:
    """The value of one top-level key (``None`` when absent); stops reading once it is complete."""
    check_depth(path)
    try:
        with open(path, 'rb') as handle:
            for value in _ijson().items(handle, key, use_float=True):
                return value
    except _parse_errors() as error:
        raise _invalid(path, error) from None
    return None


def categories(path: Path) -> Any:
    """``categories``: from the file's tail when it comes last (the usual layout), else by a scan."""
    found = _tail_categories(path)
    return found[0] if found is not None else top_value(path, 'categories')


def _tail_categories(path: Path) -> tuple[Any] | None:
    """``("categories" value,)`` when the file ends with ``"categories": <value> }``, else ``None``.

    Sound because a value that parses on its own and is followed only by the closing brace sits in
    the top-level object; any deeper key would need more closing brackets after it.
    """
    size = path.stat().st_size
    with open(path, 'rb') as handle:
        handle.seek(max(0, size - BLOCK))
        tail = handle.read().rstrip(_WHITESPACE)
    if not tail.endswith(b'}'):
        return None
    at = tail.rfind(_CATEGORIES)
    if at < 0:
        return None
    slashes = len(tail[:at]) - len(tail[:at].rstrip(b'\\'))
    if slashes % 2:  # the quote is escaped: inside a string, not a key
        return None
    rest = tail[at + len(_CATEGORIES) :].lstrip(_WHITESPACE)
    if not rest.startswith(b':'):
        return None
    try:
        return (loads(rest[1:-1]),)
    except DecodeError:
        return None


class Scan(NamedTuple):
    bounds: dict[int, int] | None  # per image id, at least as many as the annotations naming it; None: unknown
    item_key: bool  # may the file hold an ``"item"`` key (which ijson's ``annotations.item`` would also match)?


def scan(path: Path) -> Scan:
    """One fast byte pass over the file: annotation counts per image id, and whether ``"item"`` occurs.

    The counts come from ``"image_id": <int>``: they may include keys that are not an annotation's
    (nested, in other objects) but never miss one, so an image whose count is reached is complete.
    """
    counts: Counter[bytes] = Counter()
    item_key = False
    carry = b''
    with open(path, 'rb') as handle:
        while True:
            block = handle.read(BLOCK)
            data = carry + block
            if _ESCAPED_KEY.search(data):
                return Scan(None, True)
            item_key = item_key or b'"item"' in data
            cut = len(data)
            if block:  # keep for the next block what may continue there: a cut key, an unfinished value
                cut = _safe_cut(data)
            counts.update(_IMAGE_ID.findall(data, 0, cut))
            if not block:
                bounds: dict[int, int] = {}
                for digits, count in counts.items():
                    key = int(digits)
                    bounds[key] = bounds.get(key, 0) + count  # b'-0' and b'0' are one id
                return Scan(bounds, item_key)
            carry = data[max(cut, 0) :]


def _safe_cut(data: bytes) -> int:
    """A position in ``data`` no match straddles, with only what may continue in the next block after it."""
    tail = len(data) - 16  # room for a key cut in half
    last = data.rfind(b'"image_id"')
    if last < 0:
        return max(tail, 0)
    if _UNFINISHED.fullmatch(data, last + 10):
        return last
    match = _IMAGE_ID.match(data, last)
    return max(match.end() if match else last + 10, tail)


def iter_annotations(path: Path) -> Iterator[Any]:
    """Each element of ``annotations``, one at a time (see :func:`annotation_batches`)."""
    for batch in annotation_batches(path):
        yield from batch


def annotations_array(path: Path) -> Array | None:
    """The ``annotations`` array found, with what lies before it kept (:meth:`Array.before`), or
    ``None`` when the exact windows cannot read this file (ijson will)."""
    try:
        return Array(path, 'annotations', keep_head=True)
    except Unusual:
        return None


def annotation_batches(path: Path, array: Array | None = None) -> Iterator[list[Any]]:
    """The elements of ``annotations`` in file order, a list at a time; the whole file is validated
    on the way.

    orjson parses the array a window at a time (``_json_chunks``, ~3x faster); on anything it does
    not vouch for, ijson reads the file instead, past the elements already given, and so decides
    both the values and the errors.
    """
    check_depth(path)
    given = 0
    try:
        for batch in (array or Array(path, 'annotations')).batches():
            yield batch
            given += len(batch)
        return
    except Unusual:
        pass
    for element in _ijson_annotations(path, given):  # one at a time: each is given before a later error
        yield [element]


Run = tuple[int, 'Sequence[int]', 'bytes | list[Any]']
"""``(image id, the indexes of its annotations, those annotations as JSON)``: consecutive
annotations of one image. The indexes count from the start of the elements grouped; the JSON is
the list of annotations, or the list itself when orjson cannot write it (integers beyond 64 bits)."""

Event = 'int | Run'
"""What :func:`runs_of` finds: a :data:`Run`, or the index of an element with no integer
``image_id`` (a problem to report)."""


def runs_of(elements: list[Any]) -> list[Any]:
    """The :data:`Event` list of ``elements``, in the order the reader meets them: an element
    without an integer ``image_id`` where it stands, a run where it starts (the reader closes the
    run before at that point; the last run may go on in the next elements)."""
    ids = [ann.get('image_id') if type(ann) is dict else None for ann in elements]
    if ids and set(map(type, ids)) == {int}:  # the usual: every element an annotation of an image
        starts = [0, *itertools.compress(range(1, len(ids)), map(operator.ne, ids[1:], ids))]
        ends = [*starts[1:], len(ids)]
        return [[ids[a], range(a, b), encoded(elements[a:b])] for a, b in zip(starts, ends, strict=True)]
    events: list[Any] = []
    run: list[Any] = [None, [], []]  # [image id, indexes, annotations], its JSON once it ends
    for index, ann in enumerate(elements):
        image_id = ann.get('image_id') if type(ann) is dict else None
        if image_id == run[0] and type(image_id) is int:
            run[1].append(index)
            run[2].append(ann)
            continue
        if type(image_id) is not int:
            events.append(index)
            continue
        if run[1]:
            run[2] = encoded(run[2])
        run = [image_id, [index], [ann]]
        events.append(run)
    if run[1]:
        run[2] = encoded(run[2])
    return events


def encoded(anns: list[Any]) -> bytes | list[Any]:
    """Annotations to send to a worker process."""
    try:  # as JSON bytes: a tenth of the cost of pickling the parsed objects across
        return dumps(anns)
    except TypeError:  # orjson refuses integers beyond 64 bits: send them as they are
        return anns


def piece_runs(data: bytes, last: bool) -> tuple[int, list[Any], int] | None:
    """On a worker: ``(element count, runs_of(elements), where the array ended)`` of one
    :meth:`Array.pieces <synapse_sdk.utils.converters._json_chunks.Array.pieces>` piece, or
    ``None`` when it must be read the exact way."""
    parsed = parse_piece(data, last)
    if parsed is None:
        return None
    elements, end = parsed
    return len(elements), runs_of(elements), end


AHEAD = 8  # pieces parsed ahead on the workers
PIECE = 256 << 10


def annotation_runs(
    path: Path, submit: Callable[..., Future[Any]], array: Array | None = None
) -> Iterator[tuple[int, list[Any]]]:
    """``(index of the first element, runs_of(its elements))`` for all of ``annotations``, in file
    order, the parsing done on worker processes through ``submit``; the file is validated as
    :func:`annotation_batches` validates it, and what it could not vouch for is read here the same
    way (exact windows, then ijson). The first pieces go to the workers at once, before the
    caller asks for them."""
    check_depth(path)
    if array is None:
        try:
            array = Array(path, 'annotations')
        except Unusual:
            array = None
    ahead = _Ahead(array.pieces(PIECE), submit) if array is not None else None
    return _runs(path, array, ahead)


class _Ahead:
    """Pieces handed to the workers ahead of the reader, at most ``AHEAD`` at a time."""

    def __init__(self, pieces: Iterator[Piece], submit: Callable[..., Future[Any]]) -> None:
        self.pieces = pieces
        self.submit = submit
        self.pending: deque[tuple[Piece, Future[Any] | None]] = deque()
        self.fill()

    def fill(self) -> None:
        pending = self.pending
        while len(pending) < AHEAD and not (pending and (pending[-1][0].last or pending[-1][0].exact)):
            piece = next(self.pieces, None)
            if piece is None:
                break
            future = None if piece.exact else self.submit(piece_runs, piece.data, piece.last)
            pending.append((piece, future))

    def cancel(self) -> None:
        for _, future in self.pending:
            if future is not None:
                future.cancel()


def _runs(path: Path, array: Array | None, ahead: _Ahead | None) -> Iterator[tuple[int, list[Any]]]:
    given = 0
    exact: int | None = None
    if array is not None and ahead is not None:
        try:
            while True:
                if not ahead.pending:
                    raise Unusual  # not reached: the last piece ends the array, or fails
                piece, future = ahead.pending.popleft()
                ahead.fill()
                result = future.result() if future is not None else None
                if result is None:
                    exact = piece.offset
                    break
                count, events, end = result
                yield given, events
                given += count
                if end >= 0:
                    array.check_tail(piece.offset + end)
                    return
        except Unusual:
            array = None
        finally:
            ahead.cancel()
    if array is not None:
        try:
            for batch in array.batches(exact):
                yield given, runs_of(batch)
                given += len(batch)
            return
        except Unusual:
            pass
    for element in _ijson_annotations(path, given):  # one at a time: each is given before a later error
        yield given, runs_of([element])
        given += 1


def _ijson_annotations(path: Path, skip: int) -> Iterator[Any]:
    try:
        with open(path, 'rb') as handle:
            items = _ijson().items(handle, 'annotations.item', use_float=True, buf_size=1 << 14)
            yield from itertools.islice(items, skip, None)
    except _parse_errors() as error:
        raise _invalid(path, error) from None


class Chunks(NamedTuple):
    """An image's annotations as :data:`Run` pieces ``(base, indexes, JSON)``: what a worker reads."""

    runs: list[tuple[int, Sequence[int], bytes | list[Any]]]

    def pairs(self) -> list[tuple[int, Any]]:
        """``(index, annotation)`` pairs, in file order."""
        found: list[tuple[int, Any]] = []
        for base, indexes, data in self.runs:
            anns = loads(data) if isinstance(data, bytes) else data
            if type(indexes) is range:
                found.extend(zip(range(base + indexes.start, base + indexes.stop), anns, strict=True))
            else:
                found.extend(zip([base + index for index in indexes], anns, strict=True))
        return found


def indexes_of(entries: list[Any]) -> Iterator[int]:
    """The annotation indexes of waiting entries: ``(index, annotation)`` pairs or chunk runs."""
    for entry in entries:
        if len(entry) == 3:
            base, indexes, _ = entry
            for index in indexes:
                yield base + index
        else:
            yield entry[0]


class Waiting:
    """Annotations that arrived before their image can be emitted: in memory, then on disk.

    Entries are ``(index, annotation)`` pairs, or ``(base, indexes, JSON)`` chunk runs when the
    workers parse (:func:`annotation_runs`); either way kept in file order.
    """

    def __init__(self) -> None:
        self._memory: dict[int, list[Any]] = {}
        self._counts: dict[int, int] = {}  # annotations held in memory, per image
        self._in_memory = 0
        self._disk: dict[int, list[tuple[Any, ...]]] = {}
        self._file: IO[bytes] | None = None

    def add(self, image_id: int, run: list[Any], count: int | None = None) -> None:
        held = self._memory.get(image_id)
        if held is None:
            self._memory[image_id] = run
        else:
            held.extend(run)
        count = len(run) if count is None else count
        self._counts[image_id] = self._counts.get(image_id, 0) + count
        self._in_memory += count
        if self._in_memory > BUFFERED:
            self._spill()

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile()
        handle = self._file
        handle.seek(0, 2)
        offset = handle.tell()
        chunks = []
        for image_id, entries in self._memory.items():
            where = self._disk.setdefault(image_id, [])
            for entry in entries:
                if len(entry) == 3:  # a chunk run: its JSON as it is (a list orjson refused: pickled)
                    base, indexes, data = entry
                    raw = isinstance(data, bytes)
                    data = data if raw else pickle.dumps(data)
                    where.append((offset, len(data), base, indexes, raw))
                else:
                    index, ann = entry
                    data = dumps(ann)
                    where.append((offset, len(data), index))
                chunks.append(data)
                offset += len(data)
        handle.write(b''.join(chunks))
        self._memory.clear()
        self._counts.clear()
        self._in_memory = 0

    def take(self, image_id: int, *, keep: bool = False) -> list[Any]:
        """The entries of one image, in file order; ``keep`` leaves them for a second image."""
        found: list[Any] = []
        spilled = self._disk.get(image_id) if keep else self._disk.pop(image_id, None)
        if spilled and self._file is not None:
            for offset, length, *rest in spilled:
                self._file.seek(offset)
                data = self._file.read(length)
                if len(rest) == 1:
                    found.append((rest[0], loads(data)))
                else:
                    base, indexes, raw = rest
                    found.append((base, indexes, data if raw else pickle.loads(data)))  # our own temporary file
        held = self._memory.get(image_id) if keep else self._memory.pop(image_id, None)
        if held:
            found.extend(held)
            if not keep:
                self._in_memory -= self._counts.pop(image_id)
        return found

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def list_or_empty(path: Path, key: str) -> bool:
    """Is the top-level ``key`` a list, absent or empty-ish (``null``, ``0``, ``""``, ``{}``)?

    Walks parse events only up to that key, so the usual layout (``images`` first) costs little.
    """
    check_depth(path)
    try:
        with open(path, 'rb') as handle:
            events = _ijson().parse(handle, use_float=True)
            for prefix, event, value in events:
                if prefix != key or event == 'map_key':
                    continue
                if event == 'start_array':
                    return True
                if event == 'start_map':
                    return bool(next(events)[1] == 'end_map')
                return not value
    except _parse_errors() as error:
        raise _invalid(path, error) from None
    return True


class Grouping:
    """Which images have all their annotations, the annotations still waiting, and the orphans."""

    def __init__(self, uses: Counter[int], bounds: dict[int, int] | None) -> None:
        self.uses = uses  # image id -> how many entries of ``images`` still need its annotations
        self.known = bounds is not None
        # per image id, how many more annotations may still come (an upper bound)
        self.left: dict[int, int] = {key: bounds.get(key, 0) for key in uses} if bounds is not None else {}
        self.waiting = Waiting()
        self._produced: set[int] = set()  # only ids named twice in ``images``
        self._orphans: dict[Any, set[int]] = {}

    def add(self, image_id: int, run: list[Any], count: int | None = None) -> bool:
        """Keep a run of annotations of one image (``count`` of them: a chunk run holds several per
        entry); True when it holds the last ones the image waited for."""
        if image_id not in self.uses:
            self._orphans.setdefault(image_id, set()).update(indexes_of(run))
            return False
        count = len(run) if count is None else count
        self.waiting.add(image_id, run, count)
        if not self.known:
            return False
        left = self.left[image_id] = self.left[image_id] - count
        return left <= 0

    def ready(self, image: Any) -> bool:
        """May ``image`` be emitted now? (A malformed entry is emitted at once, to be reported.)"""
        image_id = image.get('id') if isinstance(image, dict) else None
        if type(image_id) is not int:
            return True
        return self.known and self.left.get(image_id, 0) <= 0

    def take(self, image_id: int) -> list[Any]:
        """The annotations of one image; forgotten unless another ``images`` entry has the same id."""
        uses = self.uses[image_id] = self.uses[image_id] - 1
        if uses > 0:
            return self.waiting.take(image_id, keep=True)
        del self.uses[image_id]
        self.left.pop(image_id, None)
        return self.waiting.take(image_id)

    def produced(self, image_id: int) -> None:
        self._orphans.pop(image_id, None)
        if self.uses.get(image_id):
            self._produced.add(image_id)

    def lost(self, image_id: Any, anns: list[Any]) -> None:
        """The image could not become an item: its annotations are reported with the orphans."""
        if anns and image_id not in self._produced:
            self._orphans.setdefault(image_id, set()).update(indexes_of(anns))

    def orphans(self) -> list[tuple[Any, list[int]]]:
        """Annotations whose image id names no item, by image in order of first appearance."""
        found = [(key, sorted(indexes)) for key, indexes in self._orphans.items()]
        return sorted(found, key=lambda pair: pair[1][0])
