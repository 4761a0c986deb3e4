"""The opinion map as shapes for an SVG (plain module, no Django): base clusters as circles
sized by how many people they hold, coloured *and* shaped by group (so the groups can be told
apart without colour), each group's letter at its centre, and where one person sits.

Everything is placed in a fixed 0..WIDTH x 0..HEIGHT box with a margin; the map's own units
(PCA coordinates) mean nothing to a reader, so only relative positions are kept. The y axis is
flipped so that "up" on the page is up on the map.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, MARGIN = 640.0, 420.0, 36.0
SHAPES = ("circle", "square", "triangle", "diamond", "ring")
LETTERS = "ABCDE"


@dataclass(frozen=True)
class Dot:
    x: float
    y: float
    r: float
    group: int  # -1 when the base cluster belongs to no group
    count: int
    shape: str

    @property
    def side(self) -> float:
        """The square's side, with the same area as the circle of radius ``r``."""
        return self.r * 1.77

    @property
    def left(self) -> float:
        return self.x - self.side / 2

    @property
    def top(self) -> float:
        return self.y - self.side / 2

    @property
    def points(self) -> str:
        """Polygon points for the triangle and diamond shapes."""
        if self.shape == "triangle":
            h = self.r * 1.2
            return f"{self.x:.1f},{self.y - h:.1f} {self.x - h:.1f},{self.y + h * 0.8:.1f} " + (
                f"{self.x + h:.1f},{self.y + h * 0.8:.1f}"
            )
        h = self.r * 1.3
        return (
            f"{self.x:.1f},{self.y - h:.1f} {self.x + h:.1f},{self.y:.1f} "
            f"{self.x:.1f},{self.y + h:.1f} {self.x - h:.1f},{self.y:.1f}"
        )


@dataclass(frozen=True)
class Label:
    x: float
    y: float
    text: str
    group: int


@dataclass(frozen=True)
class Drawing:
    dots: list[Dot]
    labels: list[Label]
    you: tuple[float, float] | None
    width: float = WIDTH
    height: float = HEIGHT


def group_letter(group: int) -> str:
    return LETTERS[group] if 0 <= group < len(LETTERS) else str(group + 1)


def _scaler(points: list[tuple[float, float]]):
    xs = [p[0] for p in points] or [0.0]
    ys = [p[1] for p in points] or [0.0]
    x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
    span = max(x1 - x0, y1 - y0, 1e-9)
    inner_w, inner_h = WIDTH - 2 * MARGIN, HEIGHT - 2 * MARGIN
    scale = min(inner_w, inner_h) / span
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2

    def place(x: float, y: float) -> tuple[float, float]:
        return WIDTH / 2 + (x - cx) * scale, HEIGHT / 2 - (y - cy) * scale

    return place


def draw(result: dict[str, Any], you: str | None = None) -> Drawing:
    """Shapes for a stored map result (``OpinionResult.to_json``), with ``you`` marked."""
    groups = {str(p): int(g) for p, g in (result.get("groups") or {}).items()}
    bases = result.get("base_clusters") or []
    positions: list[tuple[float, float]] = [tuple(b["center"]) for b in bases]  # type: ignore[misc]
    projections = result.get("projections") or {}
    mine = projections.get(you) if you else None
    if mine:
        positions.append((float(mine[0]), float(mine[1])))
    place = _scaler(positions)
    biggest = max((len(b["members"]) for b in bases), default=1)
    dots = []
    for base in bases:
        members = base["members"]
        group = groups.get(str(members[0]), -1) if members else -1
        x, y = place(*base["center"])
        r = 3.0 + 9.0 * math.sqrt(len(members) / biggest)
        shape = SHAPES[group % len(SHAPES)] if group >= 0 else "circle"
        dots.append(Dot(x, y, r, group, len(members), shape))
    labels = []
    for g, centre in enumerate(result.get("group_centres") or []):
        x, y = place(*centre)
        labels.append(Label(x, y, group_letter(g), g))
    return Drawing(dots, labels, place(*mine) if mine else None)
