"""Parse YAML and JSON input with bounds, so a small hostile file cannot take the process down.

Every file the SDK reads from a user (plugin ``config.yaml``, ``--params``, ``~/.synapse/config.json``,
DM and COCO JSON) goes through here. The bounds:

- size: at most ``max_bytes`` (``SYNAPSE_PARSE_MAX_BYTES``, default 64 MiB) are read;
- nesting: at most ``max_depth`` levels of arrays/objects (``SYNAPSE_PARSE_MAX_DEPTH``, default 100),
  checked on the bytes *before* a recursive parser sees them;
- YAML aliases: what aliases add when expanded is at most ``max_alias_expansion`` units
  (``SYNAPSE_PARSE_MAX_ALIAS_EXPANSION``, default 100,000; a node costs 1 plus its scalar's length),
  and recursive aliases are refused, so a "billion laughs" document is rejected while it is still
  a few hundred bytes of nodes;
- text must be UTF-8.

Each failure is one :class:`~synapse_sdk.core.errors.ParseError` naming the source (and line).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from synapse_sdk.core.errors import ParseError

ENV_MAX_BYTES = 'SYNAPSE_PARSE_MAX_BYTES'
ENV_MAX_DEPTH = 'SYNAPSE_PARSE_MAX_DEPTH'
ENV_MAX_ALIAS_EXPANSION = 'SYNAPSE_PARSE_MAX_ALIAS_EXPANSION'
DEFAULT_MAX_BYTES = 64 << 20
DEFAULT_MAX_DEPTH = 100
DEFAULT_MAX_ALIAS_EXPANSION = 100_000

Source = str | bytes | os.PathLike[str]


def _limit(value: int | None, env: str, default: int, environ: Mapping[str, str] | None = None) -> int:
    if value is not None:
        return value
    raw = (os.environ if environ is None else environ).get(env)
    try:
        return int(raw) if raw else default
    except ValueError:
        raise ParseError(f'{env}={raw!r} must be a whole number') from None


def limit_bytes(value: int | None = None) -> int:
    return _limit(value, ENV_MAX_BYTES, DEFAULT_MAX_BYTES)


def limit_depth(value: int | None = None) -> int:
    return _limit(value, ENV_MAX_DEPTH, DEFAULT_MAX_DEPTH)


def limit_alias_expansion(value: int | None = None) -> int:
    return _limit(value, ENV_MAX_ALIAS_EXPANSION, DEFAULT_MAX_ALIAS_EXPANSION)


# ----------------------------------------------------------------------------- reading
def read_bytes(path: str | os.PathLike[str], *, limit: int | None = None, source: str | None = None) -> bytes:
    """The bytes of ``path``, at most ``limit``; missing, folder, unreadable or too big: ParseError."""
    file = Path(path)
    name = source or str(file)
    cap = limit_bytes(limit)
    try:
        with open(file, 'rb') as handle:
            data = _read_capped(handle, cap)
    except FileNotFoundError:
        raise ParseError(f'{name} does not exist', path=name) from None
    except IsADirectoryError:
        raise ParseError(f'{name} is a folder, not a file', path=name) from None
    except PermissionError:
        raise ParseError(f'{name} cannot be read: permission denied (check its owner and mode)', path=name) from None
    except OSError as error:
        raise ParseError(f'{name} cannot be read: {error.strerror or error}', path=name) from None
    if data is None or len(data) > cap:
        raise ParseError(f'{name} is larger than the {_size(cap)} limit; set {ENV_MAX_BYTES} to raise it', path=name)
    return data


def _read_capped(handle: Any, cap: int) -> bytes | None:
    """The file's bytes (at most ``cap + 1``), or None when it is larger than ``cap``; memory in
    proportion to the file, not to the cap.

    ``read(cap + 1)`` would allocate the whole cap (64 MiB) for every small config file.
    """
    size = os.fstat(handle.fileno()).st_size
    if size > cap:
        return None
    if size:  # a regular file: its size, plus one byte to notice it grew
        return bytes(handle.read(size + 1))
    chunks: list[bytes] = []
    total = 0  # a pipe or /proc file: no size known up front
    while total <= cap:
        chunk = handle.read(min(1 << 20, cap + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b''.join(chunks)


def decode(data: bytes, name: str) -> str:
    """``data`` as UTF-8 text (a BOM is dropped); other encodings are a ParseError with the line."""
    try:
        return data.decode('utf-8-sig')
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b'\n') + 1
        raise ParseError(
            f'{name}:{line}: not UTF-8 text (byte 0x{data[error.start]:02x}); save the file as UTF-8',
            path=name,
            line=line,
        ) from None


def read_text(path: str | os.PathLike[str], *, limit: int | None = None, source: str | None = None) -> str:
    """The UTF-8 text of ``path`` within the size limit."""
    name = source or str(path)
    return decode(read_bytes(path, limit=limit, source=name), name)


def _size(count: int) -> str:
    return f'{count >> 20} MiB' if count >= 1 << 20 else f'{count} bytes'


def _input(data: Source, source: str | None, limit: int | None) -> tuple[bytes, str]:
    """``(bytes, name)`` of a path (``Path``/``PathLike``) or of in-memory text."""
    if isinstance(data, os.PathLike):
        name = source or os.fspath(data)
        return read_bytes(data, limit=limit, source=name), name
    name = source or '<input>'
    raw = data.encode('utf-8', 'surrogatepass') if isinstance(data, str) else data
    cap = limit_bytes(limit)
    if len(raw) > cap:
        raise ParseError(f'{name} is larger than the {_size(cap)} limit; set {ENV_MAX_BYTES} to raise it', path=name)
    return raw, name


# ----------------------------------------------------------------------------- JSON nesting
_KEEP_BRACKETS = bytes.maketrans(b'{}', b'[]')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')


class NestingGuard:
    """Refuses JSON nested deeper than ``limit`` while it is fed bytes, block by block.

    Works at C speed on the bytes (escapes and strings removed, then innermost ``[]`` pairs
    stripped once per level), so a guard in front of a recursive or prefix-building parser
    (``json``, ijson) costs one cheap pass. Bracket mismatches are left for the parser to report.
    """

    def __init__(self, name: str, limit: int | None = None) -> None:
        self.name = name
        self.limit = limit_depth(limit)
        self._carry = b''  # what continues in the next block: an open string, a cut escape
        self._open = b''  # brackets still open at the end of the last block

    def feed(self, block: bytes) -> None:
        data = (self._carry + block).replace(b'\\\\', b'')  # escaped backslashes first, like a parser
        cut = b''
        if data.endswith(b'\\'):  # an escape cut in half: it continues in the next block
            data, cut = data[:-1], b'\\'
        # Keep only quotes and brackets; two quotes in a row enclose nothing that matters.
        reduced = data.replace(b'\\"', b'').translate(_KEEP_BRACKETS, _NOT_STRUCTURE).replace(b'""', b'')
        inside = False
        if b'"' in reduced:  # strings that hold brackets (rare): every other piece is inside one
            parts = reduced.split(b'"')
            inside = len(parts) % 2 == 0
            reduced = b''.join(parts[0::2])
        # Inside an open string only the fact matters, not its content: carry one quote.
        self._carry = (b'"' if inside else b'') + cut
        self._strip(reduced)

    def close(self) -> None:
        self._strip(b'')

    def _strip(self, brackets: bytes) -> None:
        nested = self._open + brackets
        still_open = max(nested.count(b'[') - nested.count(b']'), 0)
        # Closing what is still open cannot deepen anything, and makes every level a matched pair.
        closed = nested + b']' * still_open
        for _ in range(self.limit):
            if b'[]' not in closed:
                break
            closed = closed.replace(b'[]', b'')
        if b'[]' in closed or closed.count(b'[') > self.limit:
            raise ParseError(
                f'{self.name}: arrays/objects nested deeper than {self.limit} levels; '
                f'set {ENV_MAX_DEPTH} to raise the limit',
                path=self.name,
                details={'limit': self.limit},
            )
        self._open = b'[' * still_open


def check_json_depth(data: bytes, name: str, limit: int | None = None) -> None:
    """Raise ParseError when ``data`` (JSON) nests deeper than the limit."""
    guard = NestingGuard(name, limit)
    guard.feed(data)
    guard.close()


def check_file_depth(path: str | os.PathLike[str], name: str | None = None, limit: int | None = None) -> None:
    """Like :func:`check_json_depth` on a file of any size, read in blocks."""
    guard = NestingGuard(name or os.fspath(path), limit)
    with open(path, 'rb') as handle:
        while block := handle.read(1 << 22):
            guard.feed(block)
    guard.close()


def load_json(
    data: Source,
    *,
    source: str | None = None,
    max_bytes: int | None = None,
    max_depth: int | None = None,
) -> Any:
    """Parse JSON from a path (``Path``) or from text/bytes, within the bounds."""
    raw, name = _input(data, source, max_bytes)
    text = decode(raw, name)
    check_json_depth(raw, name, max_depth)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ParseError(
            f'{name} is not valid JSON (line {error.lineno}, column {error.colno}): {error.msg}',
            path=name,
            line=error.lineno,
        ) from None
    except RecursionError:  # pragma: no cover - the depth check comes first
        raise ParseError(f'{name}: JSON nested too deeply', path=name) from None


# ----------------------------------------------------------------------------- YAML
def load_yaml(
    data: Source,
    *,
    source: str | None = None,
    max_bytes: int | None = None,
    max_depth: int | None = None,
    max_alias_expansion: int | None = None,
) -> Any:
    """Parse one YAML document (safe types only) from a path or from text, within the bounds."""
    import yaml  # only when a file is read: PyYAML costs ~80 ms to import

    raw, name = _input(data, source, max_bytes)
    text = decode(raw, name)
    loader = _bounded_loader(yaml)(text)
    loader.depth_limit = limit_depth(max_depth)
    loader.source = name
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_expansion(node, name, limit_alias_expansion(max_alias_expansion), loader.depth_limit)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        where = f'{name}:{line}:{mark.column + 1}' if mark else name
        raise ParseError(f'{where}: invalid YAML ({error.problem or error.context})', path=name, line=line) from None
    except yaml.YAMLError as error:
        raise ParseError(f'{name}: invalid YAML ({str(error).splitlines()[0]})', path=name) from None
    except RecursionError:  # pragma: no cover - the depth limit stops composing first
        raise ParseError(f'{name}: YAML nested too deeply', path=name) from None
    finally:
        loader.dispose()


_LOADER: type[Any] | None = None


def _bounded_loader(yaml: Any) -> type[Any]:
    """A SafeLoader whose composer refuses nesting deeper than ``depth_limit``."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER

    class BoundedSafeLoader(yaml.SafeLoader):  # type: ignore[misc]
        depth_limit = DEFAULT_MAX_DEPTH
        source = '<input>'
        _depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            self._depth += 1
            try:
                if self._depth > self.depth_limit:
                    mark = self.peek_event().start_mark
                    line = mark.line + 1
                    raise ParseError(
                        f'{self.source}:{line}: YAML nested deeper than {self.depth_limit} levels; '
                        f'set {ENV_MAX_DEPTH} to raise the limit',
                        path=self.source,
                        line=line,
                    )
                return super().compose_node(parent, index)
            finally:
                self._depth -= 1

    _LOADER = BoundedSafeLoader
    return BoundedSafeLoader


def _check_expansion(root: Any, name: str, budget: int, depth_limit: int) -> None:
    """Refuse a node graph whose aliases expand beyond ``budget`` units, recurse, or nest too deep."""
    import yaml

    own: dict[int, int] = {}  # cost of each distinct node, counted once
    expanded: dict[int, tuple[int, int]] = {}  # id -> (expanded cost, expanded depth)
    active: set[int] = set()
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            active.discard(key)
            kids = _children(node, yaml)
            cost = own[key] + sum(expanded[id(k)][0] for k in kids)
            depth = 1 + max((expanded[id(k)][1] for k in kids), default=0)
            expanded[key] = (cost, depth)
            if depth > depth_limit:
                _too_much(name, node, f'aliases expand to more than {depth_limit} levels of nesting', ENV_MAX_DEPTH)
            continue
        if key in expanded:
            continue
        if key in active:
            _too_much(name, node, 'a recursive alias (a node that contains itself)', None)
        active.add(key)
        own[key] = 1 + (len(node.value) if isinstance(node, yaml.ScalarNode) else 0)
        stack.append((node, True))
        stack.extend((kid, False) for kid in _children(node, yaml) if id(kid) not in expanded)
    total = expanded[id(root)][0]
    unique = sum(own.values())
    if total - unique > budget:
        _too_much(
            name,
            root,
            f'aliases expand by {total - unique:,} units, more than the {budget:,} allowed',
            ENV_MAX_ALIAS_EXPANSION,
        )


def _children(node: Any, yaml: Any) -> list[Any]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _too_much(name: str, node: Any, what: str, env: str | None) -> None:
    line = node.start_mark.line + 1 if getattr(node, 'start_mark', None) else None
    hint = f'; set {env} to raise the limit' if env else ''
    raise ParseError(f'{name}:{line}: YAML refused: {what}{hint}', path=name, line=line)
