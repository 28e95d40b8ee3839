"""Image width and height from file headers, without decoding pixels.

PNG, JPEG, GIF, BMP and WebP are parsed here (a few hundred bytes read); anything else goes to
Pillow's lazy ``Image.open``, which also reads only the header. JPEG sizes are as displayed: an
EXIF orientation of 5-8 (phone photos taken upright) swaps width and height, as consumers load them.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO

from synapse_sdk.utils.converters.errors import DatasetFormatError

_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})


def image_size(path: str | Path) -> tuple[int, int]:
    """``(width, height)`` of the image at ``path``; :class:`DatasetFormatError` if unreadable."""
    try:
        with open(path, 'rb', buffering=0) as raw:  # most headers are in the first 32 bytes: no buffer
            head = raw.read(32)
            size = _from_header(head, raw)
    except OSError as error:
        raise DatasetFormatError(f'cannot read image: {error.strerror or error}', file=path) from None
    if size is None:
        size = _with_pillow(path)
    if size[0] <= 0 or size[1] <= 0:
        raise DatasetFormatError(f'image has no pixels ({size[0]}x{size[1]})', file=path)
    return size


def _from_header(head: bytes, raw: io.FileIO) -> tuple[int, int] | None:
    if head[:8] == b'\x89PNG\r\n\x1a\n' and head[12:16] == b'IHDR':
        w, h = struct.unpack('>II', head[16:24])
        return int(w), int(h)
    if head[:2] == b'\xff\xd8':
        return _jpeg(io.BufferedReader(raw))  # read a byte at a time: buffered
    if head[:6] in (b'GIF87a', b'GIF89a'):
        w, h = struct.unpack('<HH', head[6:10])
        return int(w), int(h)
    if head[:2] == b'BM' and len(head) >= 26:
        w, h = struct.unpack('<ii', head[18:26])
        return abs(int(w)), abs(int(h))
    if head[:4] == b'RIFF' and head[8:12] == b'WEBP':
        return _webp(head, raw)
    return None


def _jpeg(handle: BinaryIO) -> tuple[int, int] | None:
    """The frame size, as displayed: EXIF orientations 5-8 (a quarter turn) swap width and height,
    as every consumer (Pillow's exif_transpose, OpenCV's imread, browsers) shows the photo."""
    handle.seek(2)
    orientation = 1
    while True:
        byte = handle.read(1)
        while byte and byte != b'\xff':
            byte = handle.read(1)
        while byte == b'\xff':
            byte = handle.read(1)
        if not byte:
            return None
        marker = byte[0]
        if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
            continue
        if marker == 0xD9:
            return None
        length_bytes = handle.read(2)
        if len(length_bytes) < 2:
            return None
        (length,) = struct.unpack('>H', length_bytes)
        if marker in _SOF:
            data = handle.read(5)
            if len(data) < 5:
                return None
            h, w = struct.unpack('>HH', data[1:5])
            return (int(h), int(w)) if orientation >= 5 else (int(w), int(h))
        if length < 2:
            return None
        if marker == 0xE1 and orientation == 1:  # APP1: EXIF, read only up to its first IFD
            segment = handle.read(min(length - 2, _EXIF_READ))
            orientation = exif_orientation(segment)
            handle.seek(length - 2 - len(segment), 1)
            continue
        handle.seek(length - 2, 1)


_EXIF_READ = 4096  # the orientation tag sits in IFD0, near the start of the segment


def exif_orientation(segment: bytes) -> int:
    """The EXIF orientation (1-8) in an APP1 segment's payload; 1 when absent or malformed."""
    if segment[:6] != b'Exif\x00\x00' or len(segment) < 14:
        return 1
    tiff = segment[6:]
    order = tiff[:2]
    if order not in (b'II', b'MM'):
        return 1
    end = '<' if order == b'II' else '>'
    (offset,) = struct.unpack(end + 'I', tiff[4:8])
    if offset + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(end + 'H', tiff[offset : offset + 2])
    for index in range(count):
        start = offset + 2 + index * 12
        entry = tiff[start : start + 12]
        if len(entry) < 12:
            return 1
        tag, kind = struct.unpack(end + 'HH', entry[:4])
        if tag == 0x0112 and kind == 3:  # Orientation, a SHORT
            (value,) = struct.unpack(end + 'H', entry[8:10])
            return int(value) if 1 <= value <= 8 else 1
    return 1


def _webp(head: bytes, handle: BinaryIO) -> tuple[int, int] | None:
    chunk = head[12:16]
    data = head + handle.read(32)
    if chunk == b'VP8 ' and len(data) >= 30:
        w, h = struct.unpack('<HH', data[26:30])
        return int(w) & 0x3FFF, int(h) & 0x3FFF
    if chunk == b'VP8L' and len(data) >= 25:
        bits = int.from_bytes(data[21:25], 'little')
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b'VP8X' and len(data) >= 30:
        w = int.from_bytes(data[24:27], 'little') + 1
        h = int.from_bytes(data[27:30], 'little') + 1
        return w, h
    return None


def _with_pillow(path: str | Path) -> tuple[int, int]:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:  # lazy: reads the header only
            return int(image.width), int(image.height)
    except (UnidentifiedImageError, OSError, ValueError) as error:
        raise DatasetFormatError(f'not a readable image ({error})', file=path) from None
