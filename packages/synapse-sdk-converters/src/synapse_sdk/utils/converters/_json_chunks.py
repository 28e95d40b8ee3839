"""Parse one top-level array of a big JSON object with orjson, a bounded window of bytes at a time.

ijson builds Python values at a third of orjson's speed, and loading the whole array with orjson
would make memory follow the file. So the array is cut at candidate element boundaries ``}, {``
(found by byte search) and each piece is parsed as ``[`` + piece + ``]``. A cut is sound when that
parses: the piece starts at an element, so a cut inside a string or a nested value leaves it
unterminated or unbalanced. What lies outside the array is parsed too (orjson is the stricter of
the two: what it accepts, ijson accepts). Whatever this reader cannot vouch for raises ``Unusual``,
and the caller reads the file the slow, exact way.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

# Bytes parsed at once (a window holds whole elements only). Small: the elements of one window are
# alive together, and orjson is no faster on bigger pieces (here 32 KB to 1 MB pieces ran alike or
# faster small, the values staying in the CPU caches).
WINDOW = 64 << 10
MAX_WINDOW = 16 << 20  # a single element larger than this is left to ijson
TRIES = 8  # failed parses of balanced candidate cuts before a window is given up (and grown)
UNBALANCED_TRIES = 4  # then of the others
_BLOCK = 256 << 10  # bytes read at once
_WS = b' \t\n\r'
_NEXT = re.compile(rb'[ \t\n\r]*,[ \t\n\r]*\{')  # after a ``}``: the separator and the next element
_KEY_TAIL = re.compile(rb'"[ \t\n\r]*(:[ \t\n\r]*)?')
# orjson reads integers beyond 64 bits as floats and 2**63 .. 2**64-1 as ints; ijson refuses both.
# A run of 19 digits (anywhere: a cheap test) leaves the file to ijson.
_DIGITS = bytes(0x30 if 0x30 <= byte <= 0x39 else 0x20 for byte in range(256))
_LONG_NUMBER = b'0' * 19


class Unusual(Exception):
    """The file holds something this reader does not vouch for: read it with ijson instead."""


def array_batches(path: Path, key: str) -> Iterator[list[Any]]:
    """The elements of the top-level array ``key``, a window's worth at a time, in file order.

    Raises ``Unusual`` (possibly after some batches) when the file must be read another way: the
    key is missing, not unambiguous, not an array of objects, the JSON is invalid or orjson would
    read a value differently from ijson (``items(file, f'{key}.item', use_float=True)``).
    """
    return Array(path, key).batches()


class Array:
    """The top-level array ``key`` of a JSON object file: found, and what lies before it checked.

    Raises ``Unusual`` when the key is missing or not unambiguous, or the bytes before it are not
    what orjson and ijson read alike.
    """

    def __init__(self, path: Path, key: str, *, keep_head: bool = False) -> None:
        self.path = path
        self.name = name = key.encode()
        assert name.isascii() and name.isalnum(), key
        # the key spelled with escapes (``\u0061nnotations``) would hide from the byte search
        self.escape = re.compile(rb'\\u00(?:' + b'|'.join(b'%x|%X' % (c, c) for c in set(name)) + rb')')
        with open(path, 'rb') as handle:
            start = _start(handle, name)
            handle.seek(0)
            head = handle.read(start)
        _outside(head, self.escape)
        top = _loads(head + b'0}')  # parses, with key: 0, only when this ``key`` is a top-level key
        if type(top) is not dict or top.get(key) != 0:
            raise Unusual
        self._head, self._top = (head, top) if keep_head else (b'', {})
        #: The file offset just past the array's ``[``.
        self.start = start + 1

    def before(self, key: str) -> tuple[Any] | None:
        """``(value,)`` of the top-level ``key`` when it comes before the array (``keep_head``), as
        ijson reads it; ``None`` when absent or when the bytes before the array name it twice."""
        if self._head.count(b'"' + key.encode() + b'"') != 1 or key not in self._top:
            return None
        return (self._top[key],)

    def forget_head(self) -> None:
        """Let go of what lies before the array (the caller has taken what it needs)."""
        self._head, self._top = b'', {}

    def batches(self, offset: int | None = None) -> Iterator[list[Any]]:
        """The elements in file order, from the start or from ``offset``, where an element starts."""
        with open(self.path, 'rb') as handle:
            handle.seek(self.start if offset is None else offset)
            tail = yield from _elements(handle)
            tail += handle.read()
        self._check_tail(tail)

    def check_tail(self, offset: int) -> None:
        """The array ended just before ``offset``: what follows must close the object soundly."""
        with open(self.path, 'rb') as handle:
            handle.seek(offset)
            self._check_tail(handle.read())

    def _check_tail(self, tail: bytes) -> None:
        _outside(tail, self.escape)
        if _holds_key(tail, self.name):
            raise Unusual  # a second top-level key of that name, or a nested one we cannot tell apart
        _loads(b'{"":0' + tail)  # the rest of the top-level object, valid

    def pieces(self, size: int) -> Iterator[Piece]:
        """The array cut, unparsed, into pieces of about ``size`` bytes, each for :func:`parse_piece`.

        A piece ends at a ``}`` followed by ``, {`` where the braces before it balance; that it is a
        sound cut is only known once it parses. ``last`` pieces run to the end of the file. An
        element too big to cut out of ``2 * size`` bytes ends the pieces with an ``exact`` one: from
        there the array is read with :meth:`batches`.
        """
        with open(self.path, 'rb') as handle:
            handle.seek(self.start)
            offset = self.start  # the file offset of buf[0]
            buf = handle.read(2 * size)
            lead = len(buf) - len(buf.lstrip(_WS))
            buf, offset = buf[lead:], offset + lead
            if buf[:1] != b'{':  # empty, or elements that are not objects: the exact reader decides
                yield Piece(offset, b'', last=False, exact=True)
                return
            while True:
                if len(buf) < 2 * size:
                    buf += handle.read(2 * size - len(buf))
                if len(buf) < 2 * size:  # the end of the file is near: the rest is one piece
                    yield Piece(offset, buf, last=True)
                    return
                cut = _balanced_cut(buf, size)
                if cut is None:
                    yield Piece(offset, b'', last=False, exact=True)
                    return
                close, following = cut
                yield Piece(offset, buf[: close + 1], last=False)
                buf, offset = buf[following:], offset + following


class Piece(NamedTuple):
    offset: int  # the file offset of its first byte
    data: bytes
    last: bool  # runs to the end of the file
    exact: bool = False  # no piece: read the array from ``offset`` with :meth:`Array.batches`


def _balanced_cut(buf: bytes, size: int) -> tuple[int, int] | None:
    """``(the cut's }, where the next element's { is)`` of the last candidate before ``size`` whose
    braces balance; ``None`` when the first few candidates do not."""
    at = size
    for _ in range(TRIES):
        close = buf.rfind(b'}', 0, at)
        if close < 0:
            return None
        at = close
        match = _NEXT.match(buf, close + 1)
        if match is not None and _depth(buf, 0, close + 1) == 0:
            return close, match.end() - 1
    return None


def parse_piece(data: bytes, last: bool) -> tuple[list[Any], int] | None:
    """The elements of a :meth:`Array.pieces` piece and where in it the array ended (-1: it goes
    on); ``None`` when the piece is not a sound cut or holds what orjson and ijson may read
    differently (then :meth:`Array.batches` reads from its offset)."""
    if last:
        items, stop = _parse(b'[' + data, closed=False)
        if items is None or stop < 0:
            return None
    else:
        items, stop = _parse(b'[' + data + b']', closed=True)
        if items is None:
            return None
    return items, stop - 1 if stop >= 0 else -1


def _loads(data: bytes) -> Any:
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise Unusual from None


def _outside(data: bytes, escape: re.Pattern[bytes]) -> None:
    """What lies outside the array must not spell the key with escapes nor hold long numbers."""
    if escape.search(data) or _long_number(data) >= 0:
        raise Unusual


def _long_number(data: bytes) -> int:
    return data.translate(_DIGITS).find(_LONG_NUMBER)


def _holds_key(data: bytes, name: bytes) -> bool:
    """May ``data`` hold ``"name"`` as a key (or ``"name.``, which ijson's prefix matching takes too)?"""
    needle = b'"' + name
    at = data.find(needle)
    while at >= 0:
        if _kind(data, at + len(needle), True)[0] != 'value':
            return True
        at = data.find(needle, at + 1)
    return False


def _kind(data: bytes, at: int, complete: bool) -> tuple[str, int]:
    """What follows ``"name`` at ``at``: 'value' (a string, or a longer name), 'array' (a key whose value
    is an array starting at the returned offset), 'key' (any other key or doubt) or '' (more data needed)."""
    if at >= len(data):
        return ('value', at) if complete else ('', at)
    byte = data[at : at + 1]
    if byte in b'.\\':
        return 'key', at
    if byte != b'"':
        return 'value', at
    match = _KEY_TAIL.match(data, at)
    assert match is not None  # the pattern starts with the quote just seen
    end = match.end()
    if end >= len(data) and not complete:
        return '', at
    if match.group(1) is None:
        return 'value', end
    if data[end : end + 1] == b'[':
        return 'array', end
    return 'key', end


def _start(handle: IO[bytes], name: bytes) -> int:
    """The file offset of the ``[`` opening the first ``"name":`` key's value; a value string is skipped."""
    needle = b'"' + name
    base = 0  # file offset of data[0]
    data = b''
    complete = False
    while True:
        block = handle.read(_BLOCK)
        complete = not block
        data += block
        keep = max(len(data) - len(needle) + 1, 0)  # an occurrence may straddle the next block
        at = data.find(needle)
        while at >= 0:
            kind, end = _kind(data, at + len(needle), complete)
            if not kind:
                keep = at
                break
            if kind == 'array':
                return base + end
            if kind == 'key':
                raise Unusual
            at = data.find(needle, at + 1)
        if complete:
            raise Unusual  # no such key (or spelled with escapes): ijson knows
        base += keep
        data = data[keep:]


class _Cut(NamedTuple):
    items: list[Any] | None  # None: no cut in this window could be vouched for
    next: int  # where the next element starts (after a failure: where it failed)
    end: int  # where the bytes after the array start; -1: the array goes on
    misses: int = 0  # cuts that failed first


def _elements(handle: IO[bytes]) -> Generator[list[Any], None, bytes]:
    """Batches of the array's elements (the file is just past its ``[``); returns the bytes after its ``]``."""
    buf = b''
    complete = False
    while not complete and not buf.lstrip(_WS):
        block = handle.read(_BLOCK)
        complete = not block
        buf += block
    pos = len(buf) - len(buf.lstrip(_WS))
    if buf[pos : pos + 1] == b']':
        return buf[pos + 1 :]
    if buf[pos : pos + 1] != b'{':
        raise Unusual  # elements that are not objects (the cuts look for ``}``); ijson reads those
    window = WINDOW
    nested = False  # has a cut at a nested ``}, {`` failed yet?
    grown = False  # is this window a retry, bigger, of one that found no cut?
    while True:
        while not complete and len(buf) - pos < window:
            block = handle.read(max(window - (len(buf) - pos), _BLOCK))
            complete = not block
            buf = buf[pos:] + block
            pos = 0
        limit = min(len(buf), pos + window)
        cut = _window(buf, pos, limit, balanced_first=nested, unbalanced=not grown)
        nested = nested or cut.misses > 0
        if cut.items is None:
            if (complete and limit == len(buf)) or window >= MAX_WINDOW:
                raise Unusual  # invalid JSON, or an element bigger than any window
            window *= 2
            grown = True
            continue
        grown = False
        if cut.items:
            yield cut.items
        if cut.end >= 0:
            return buf[cut.end :]
        # big elements tend to come in runs: room for a few of the size just seen, else back to WINDOW
        window = max(WINDOW, min(window, 4 * (cut.next - pos) // len(cut.items)))
        pos = cut.next


def _window(buf: bytes, pos: int, limit: int, *, balanced_first: bool, unbalanced: bool) -> _Cut:
    """The elements from ``pos`` (an element's ``{``) up to the last boundary before ``limit`` that parses.

    Candidates are tried from the end. With ``balanced_first`` (or after a miss), those where the
    braces balance (counted naively, strings included) come first, so that nested ``}, {`` cost no
    parse; the others (braces in strings upset the count) are tried last when ``unbalanced``: not
    again in a window grown because a nested array outgrew the last one. A failure at ``p`` rules
    out every candidate after ``p``: they hold the same prefix.
    """
    bar = limit  # no candidate at or after this can parse
    at = counted = limit
    depth = _depth(buf, pos, limit) if balanced_first else None  # braces open in buf[pos:counted]
    others: list[tuple[int, int]] = []  # unbalanced candidates, tried last
    misses = 0
    while misses < TRIES:
        close = buf.rfind(b'}', pos, at)
        if close < 0:
            break
        if depth is not None:
            depth -= _depth(buf, close + 1, counted)
            counted = close + 1
        at = close
        match = _NEXT.match(buf, close + 1)
        if match is None or close >= bar:
            continue
        if depth is None and misses:
            depth = _depth(buf, pos, close + 1)
            counted = close + 1
        if depth:
            others.append((close, match.end() - 1))
            if len(others) < UNBALANCED_TRIES:
                continue
            break
        cut = _try(buf, pos, close, match.end() - 1)
        if cut.items is not None:
            return cut._replace(misses=misses)
        misses += 1
        bar = min(bar, cut.next)
    for close, following in others if unbalanced else []:
        if close < bar:
            cut = _try(buf, pos, close, following)
            if cut.items is not None:
                return cut._replace(misses=misses)
            misses += 1
            bar = min(bar, cut.next)
    # No boundary parses: the array may end in this window with no ``}, {`` after it.
    items, stop = _parse(b'[' + buf[pos:limit], closed=False)
    if items is not None and stop >= 0:
        return _Cut(items, -1, pos + stop - 1, misses)
    return _Cut(None, -1, -1, misses)


def _try(buf: bytes, pos: int, close: int, following: int) -> _Cut:
    """Parse the elements from ``pos`` to the ``}`` at ``close``; on failure ``next`` is where it failed."""
    items, stop = _parse(b'[' + buf[pos : close + 1] + b']', closed=True)
    if items is None:
        return _Cut(None, pos + stop - 1, -1)
    if stop >= 0:
        return _Cut(items, -1, pos + stop - 1)
    return _Cut(items, following, -1)


def _parse(doc: bytes, *, closed: bool) -> tuple[list[Any] | None, int]:
    """``(elements, -1)`` when ``doc`` is one array; ``(elements, p)`` when the array (the real one)
    closes before ``doc[p]``; ``(None, p)`` when ``doc`` fails at ``p`` or holds a long number there.

    ``closed``: the last byte of ``doc`` is a ``]`` added after a candidate cut.
    """
    try:
        items = orjson.loads(doc)
        stop = -1
    except orjson.JSONDecodeError as error:
        stop = _byte_offset(doc, error.pos)
        body = len(doc) - 1 if closed else len(doc)
        # Content after a complete array: the array closed inside the piece; that is its end.
        if stop >= body or not doc[:stop].rstrip(_WS).endswith(b']'):
            return None, stop
        doc = doc[:stop]
        try:
            items = orjson.loads(doc)
        except orjson.JSONDecodeError:
            return None, stop
    long_number = _long_number(doc)
    if long_number >= 0:
        return None, long_number
    return items, stop


def _byte_offset(doc: bytes, chars: int) -> int:
    """orjson tells where it failed in characters; the cuts are made in bytes."""
    if doc.isascii():
        return chars
    return len(doc.decode('utf-8', 'surrogateescape')[:chars].encode('utf-8', 'surrogateescape'))


def _depth(buf: bytes, start: int, end: int) -> int:
    return buf.count(b'{', start, end) - buf.count(b'}', start, end)
