"""Pictures of annotations people can read: small images upscaled, labels on a background, named
keypoints joined by their skeleton, and one contact sheet of several images.

A preview of 8x6 px sample images drawn at their native size, with bare text labels, shows
nothing; these rules make the same data legible whatever the image size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any

from synapse_sdk.utils.converters._model import Box, Item, Keypoints, Mask, Point, Polygon, Polyline

if TYPE_CHECKING:
    from PIL import Image as PILImage
    from PIL import ImageFont

MIN_SIDE = 480
"""Images whose long side is shorter are upscaled (nearest neighbour, so pixels stay crisp)."""
MAX_SIDE = 1024
THUMB = 320
"""Long side of one cell of the contact sheet."""

PALETTE = [(230, 25, 75), (60, 180, 75), (255, 225, 25), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]


def colour(label: str) -> tuple[int, int, int]:
    return PALETTE[sum(label.encode()) % len(PALETTE)]


@cache
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def display_scale(width: int, height: int, *, min_side: int = MIN_SIDE, max_side: int = MAX_SIDE) -> float:
    """How much to scale an image so it is shown at a legible size (up or down)."""
    longest = max(width, height, 1)
    if longest < min_side:
        return min_side / longest
    if longest > max_side:
        return max_side / longest
    return 1.0


def render(item: Item, *, min_side: int = MIN_SIDE, max_side: int = MAX_SIDE) -> PILImage.Image:
    """The item's image with its annotations drawn on it, at a legible size."""
    from PIL import Image, ImageDraw

    assert item.image is not None
    with Image.open(item.image) as source:
        image: PILImage.Image = source.convert('RGB')
    width = image.width
    scale = display_scale(image.width, image.height, min_side=min_side, max_side=max_side)
    if scale != 1.0:
        resample = Image.Resampling.NEAREST if scale > 1 else Image.Resampling.LANCZOS
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))), resample)
    draw = ImageDraw.Draw(image, 'RGBA')
    text_size = max(12, round(max(image.size) / 32))
    for ann in item.annotations:
        _draw(draw, ann, scale, width, text_size)
    return image


def label(draw: Any, xy: tuple[float, float], text: str, fill: tuple[int, int, int], size: int) -> None:
    """Text on a dark background, kept inside the image."""
    if not text:
        return
    face = font(size)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    w, h = right - left + 4, bottom - top + 4
    width, height = draw.im.size
    x = min(max(0.0, xy[0]), max(0.0, width - w))
    y = min(max(0.0, xy[1] - h), max(0.0, height - h))
    luminance = 0.299 * fill[0] + 0.587 * fill[1] + 0.114 * fill[2]
    draw.rectangle([x, y, x + w, y + h], fill=(*fill, 230))
    draw.text((x + 2 - left, y + 2 - top), text, fill=(0, 0, 0) if luminance > 140 else (255, 255, 255), font=face)


def _draw(draw: Any, ann: Any, scale: float, width: int, size: int) -> None:
    name = getattr(ann, 'label', '')
    tint = colour(name)
    line = max(2, round(size / 6))
    box = (ann.x, ann.y, ann.w, ann.h) if isinstance(ann, Box) else ann.box if isinstance(ann, Keypoints) else None
    if box is not None:
        x, y, w, h = (v * scale for v in box)
        draw.rectangle([x, y, x + w, y + h], outline=tint, width=line)
        label(draw, (x, y), name, tint, size)
    if isinstance(ann, (Polygon, Polyline)) and len(ann.points) >= 2:
        points = [(x * scale, y * scale) for x, y in ann.points]
        if isinstance(ann, Polygon):
            draw.polygon(points, outline=tint, fill=(*tint, 60), width=line)
        else:
            draw.line(points, fill=tint, width=line)
        label(draw, points[0], name, tint, size)
    if isinstance(ann, Keypoints):
        radius = max(3, line + 1)
        for a, b in ann.skeleton:  # under the points; an edge needs both ends visible
            if a < len(ann.points) and b < len(ann.points) and ann.points[a].v > 0 and ann.points[b].v > 0:
                ends = [
                    (ann.points[a].x * scale, ann.points[a].y * scale),
                    (ann.points[b].x * scale, ann.points[b].y * scale),
                ]
                draw.line(ends, fill=tint, width=line)
        for p in ann.points:
            if p.v > 0:
                cx, cy = p.x * scale, p.y * scale
                draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=tint, outline=(0, 0, 0))
                label(draw, (cx + radius + 1, cy + radius), p.name, tint, max(9, size - 3))
    if isinstance(ann, Mask) and ann.pixels:
        side = max(1.0, scale)
        for pixel in ann.pixels:
            x, y = (pixel % width) * scale, (pixel // width) * scale
            draw.rectangle([x, y, x + side - 1, y + side - 1], fill=(*tint, 140))
    if isinstance(ann, Point):
        cx, cy = ann.x * scale, ann.y * scale
        draw.ellipse([cx - 4, cy - 4, cx + 4, cy + 4], fill=tint, outline=(0, 0, 0))
        label(draw, (cx + 5, cy), name, tint, size)


def contact_sheet(images: Sequence[PILImage.Image], titles: Sequence[str], *, cell: int = THUMB) -> PILImage.Image:
    """Several previews side by side in a grid, each with its name, on one image."""
    from PIL import Image, ImageDraw

    columns = max(1, min(4, math.ceil(math.sqrt(len(images)))))
    rows = max(1, math.ceil(len(images) / columns))
    caption = 22
    height = max(round(cell * min(1.0, i.height / max(i.width, 1))) for i in images) if images else cell
    sheet = Image.new('RGB', (columns * (cell + 8) + 8, rows * (height + caption + 8) + 8), (32, 32, 32))
    draw = ImageDraw.Draw(sheet)
    for index, (image, title) in enumerate(zip(images, titles, strict=True)):
        thumb = image.copy()
        thumb.thumbnail((cell, cell))
        x = 8 + (index % columns) * (cell + 8)
        y = 8 + (index // columns) * (height + caption + 8)
        sheet.paste(thumb, (x + (cell - thumb.width) // 2, y + (height - thumb.height) // 2))
        draw.text((x, y + height + 4), title[:48], fill=(230, 230, 230), font=font(14))
    return sheet
