#!/usr/bin/env python3
"""Draws the NetAssist icon (standard library only) and writes icon-256.png, a multi-size icon.ico and the
Linux desktop's hicolor icons (packaging/linux/icons/hicolor/NxN/apps/netassist.png).

The design: a rounded blue square with two arrows passing each other, one each way: traffic in and out.
Run from anywhere: python3 assets/make_icon.py
"""
import math
import os
import struct
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
BLUE = (0x1E, 0x6F, 0xD9)
LIGHT = (0x4F, 0xC3, 0xF7)
WHITE = (0xFF, 0xFF, 0xFF)


def coverage(size, inside, samples=4):
    """Anti-aliased coverage of each pixel by the shape `inside(x, y)` (coordinates from 0 to 1)."""
    rows = []
    for py in range(size):
        row = []
        for px in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    x = (px + (sx + 0.5) / samples) / size
                    y = (py + (sy + 0.5) / samples) / size
                    hits += inside(x, y)
            row.append(hits / (samples * samples))
        rows.append(row)
    return rows


def rounded_square(x, y, r=0.2, m=0.04):
    cx = min(max(x, m + r), 1 - m - r)
    cy = min(max(y, m + r), 1 - m - r)
    return math.hypot(x - cx, y - cy) <= r


def arrow(x, y, top, rightwards):
    """A horizontal arrow in the band starting at `top`, pointing right or left."""
    if rightwards:
        u = x
    else:
        u = 1 - x
    v = y - top
    shaft = 0.18 <= u <= 0.66 and 0.045 <= v <= 0.115
    head = 0.62 <= u <= 0.84 and abs(v - 0.08) <= (0.84 - u) * 0.75
    return shaft or head


def image(size):
    back = coverage(size, rounded_square)
    out_arrow = coverage(size, lambda x, y: arrow(x, y, 0.27, True))
    in_arrow = coverage(size, lambda x, y: arrow(x, y, 0.57, False))
    pixels = []
    for y in range(size):
        row = []
        for x in range(size):
            a = back[y][x]
            color = BLUE
            for cover, tint in ((out_arrow[y][x], WHITE), (in_arrow[y][x], LIGHT)):
                color = tuple(round(c * (1 - cover) + t * cover) for c, t in zip(color, tint))
            row.append(color + (round(255 * a),))
        pixels.append(row)
    return pixels


def png(pixels):
    size = len(pixels)
    raw = b"".join(b"\x00" + bytes(c for px in row for c in px) for row in pixels)

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", size, size, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def ico(images):
    """An ICO file holding PNG images (supported since Windows Vista)."""
    header = struct.pack("<HHH", 0, 1, len(images))
    offset = 6 + 16 * len(images)
    entries, data = b"", b""
    for size, blob in images:
        dim = 0 if size >= 256 else size
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(blob), offset + len(data))
        data += blob
    return header + entries + data


def main():
    big = png(image(256))
    with open(os.path.join(HERE, "icon-256.png"), "wb") as f:
        f.write(big)
    sizes = [16, 32, 48, 64, 128]
    images = [(s, png(image(s))) for s in sizes] + [(256, big)]
    with open(os.path.join(HERE, "icon.ico"), "wb") as f:
        f.write(ico(images))
    # Each size is drawn at that size (not scaled down) so the small ones stay sharp in menus and panels.
    hicolor = os.path.join(HERE, "..", "packaging", "linux", "icons", "hicolor")
    for size, blob in images:
        folder = os.path.join(hicolor, f"{size}x{size}", "apps")
        os.makedirs(folder, exist_ok=True)
        with open(os.path.join(folder, "netassist.png"), "wb") as f:
            f.write(blob)


if __name__ == "__main__":
    main()
