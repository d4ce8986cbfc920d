"""Class colours for coloured predictions: the palettes the ScanNet and S3DIS benchmarks' visualisations use, picked
when a config's class names are those datasets'; any other class list gets evenly spaced hues."""

from __future__ import annotations

import colorsys

SCANNET20 = {
    "wall": (174, 199, 232),
    "floor": (152, 223, 138),
    "cabinet": (31, 119, 180),
    "bed": (255, 187, 120),
    "chair": (188, 189, 34),
    "sofa": (140, 86, 75),
    "table": (255, 152, 150),
    "door": (214, 39, 40),
    "window": (197, 176, 213),
    "bookshelf": (148, 103, 189),
    "picture": (196, 156, 148),
    "counter": (23, 190, 207),
    "desk": (247, 182, 210),
    "curtain": (219, 219, 141),
    "refrigerator": (255, 127, 14),
    "shower curtain": (158, 218, 229),
    "toilet": (44, 160, 44),
    "sink": (112, 128, 144),
    "bathtub": (227, 119, 194),
    "otherfurniture": (82, 84, 163),
}
S3DIS = {
    "ceiling": (0, 255, 0),
    "floor": (0, 0, 255),
    "wall": (0, 255, 255),
    "beam": (255, 255, 0),
    "column": (255, 0, 255),
    "window": (100, 100, 255),
    "door": (200, 200, 100),
    "table": (170, 120, 200),
    "chair": (255, 0, 0),
    "sofa": (200, 100, 100),
    "bookcase": (10, 200, 100),
    "board": (200, 200, 200),
    "clutter": (50, 50, 50),
}
SPELLINGS = {"refridgerator": "refrigerator"}  # Pointcept's ScanNet configs spell it so


def palette_for(names: list[str]) -> list[tuple[int, int, int]]:
    """One RGB colour (0-255) per class name, in order."""
    normalised = [SPELLINGS.get(n.lower(), n.lower()) for n in names]
    for palette in (SCANNET20, S3DIS):
        if normalised == list(palette):
            return [palette[n] for n in normalised]
    return [
        tuple(round(255 * c) for c in colorsys.hsv_to_rgb(i / max(len(names), 1), 0.65, 0.95))
        for i in range(len(names))
    ]
