"""Scene description: a room box and furniture as axis-aligned primitives.

Everything is in world metres (``y`` up, floor at ``y = 0``; see
``camera.py``). A scene is a list of primitives -- axis-aligned boxes and
axis-aligned rectangles (quads) -- each carrying an NYU-40 label (0-based
index into ``NYU40_CLASSES``, or 255 for unlabeled clutter) and the index of
its material in the scene's material list (``appearance.Material``).

Furniture is built in a *wall frame*: ``a`` metres along a wall, ``y`` up,
``n`` metres out from the wall into the room. ``WALL_FRAMES`` maps that frame
to world coordinates; every mapping swaps or mirrors axes only, so boxes stay
axis-aligned.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..nyu_classes import IGNORE_INDEX, NYU40_CLASSES
from .appearance import Material, sample_material
from .camera import PinholeCamera
from .variants import VARIANTS, Variant


def class_id(name: str) -> int:
    """0-based NYU-40 label of a class name (``'wall'`` -> 0)."""
    return NYU40_CLASSES.index(name)


UNLABELED = IGNORE_INDEX


@dataclass(frozen=True)
class Box:
    """Axis-aligned box ``lo <= p <= hi`` (world metres), seen from outside."""

    lo: tuple[float, float, float]
    hi: tuple[float, float, float]
    label: int
    material: int

    def corners(self) -> np.ndarray:
        """(8, 3) corner points."""
        lo, hi = self.lo, self.hi
        return np.array([[x, y, z] for x in (lo[0], hi[0])
                         for y in (lo[1], hi[1]) for z in (lo[2], hi[2])])


@dataclass(frozen=True)
class Quad:
    """Axis-aligned rectangle on the plane ``p[axis] == offset``.

    ``lo``/``hi`` bound the two other coordinates, in increasing axis order
    (for ``axis=1``: ``(x, z)``). Visible from both sides.
    """

    axis: int
    offset: float
    lo: tuple[float, float]
    hi: tuple[float, float]
    label: int
    material: int

    def other_axes(self) -> tuple[int, int]:
        """The two in-plane axes, increasing."""
        return tuple(a for a in range(3) if a != self.axis)

    def corners(self) -> np.ndarray:
        """(4, 3) corner points."""
        a, b = self.other_axes()
        points = np.zeros((4, 3))
        points[:, self.axis] = self.offset
        points[:, a] = [self.lo[0], self.lo[0], self.hi[0], self.hi[0]]
        points[:, b] = [self.lo[1], self.hi[1], self.lo[1], self.hi[1]]
        return points


@dataclass(frozen=True)
class Room:
    """Room interior ``[0, width] x [0, height] x [0, depth]`` in metres."""

    width: float
    depth: float
    height: float

    def wall_length(self, wall: str) -> float:
        """Length in metres of a wall (``'front'``, ``'back'``, ``'left'``,
        ``'right'``)."""
        return self.width if wall in ('front', 'back') else self.depth

    def to_world(self, wall: str, a: float, y: float, n: float) -> tuple:
        """Wall-frame point -> world ``(x, y, z)``.

        front: ``z = depth`` wall, back: ``z = 0``, left: ``x = 0``,
        right: ``x = width``; ``n`` always points into the room.
        """
        if wall == 'front':
            return (a, y, self.depth - n)
        if wall == 'back':
            return (self.width - a, y, n)
        if wall == 'left':
            return (n, y, a)
        if wall == 'right':
            return (self.width - n, y, self.depth - a)
        raise ValueError(f'unknown wall {wall!r}')


@dataclass
class Scene:
    """Everything ``render_scene`` needs.

    Attributes:
        camera: the posed camera.
        primitives: boxes and quads; on exact ties the earlier one wins.
        materials: ``primitive.material`` indexes this list.
        light_position: (3,) world metres of the ceiling light.
        kinect_max_range_m: depth beyond which the raw depth has holes.
        light_direction: None for the point light at ``light_position``;
            else a (3,) unit vector towards a distant light that replaces
            it, so that every face with the same normal gets the same light
            (``depth-cue``, see ``shading.irradiance``).
    """

    camera: PinholeCamera
    primitives: list
    materials: list[Material]
    light_position: np.ndarray
    kinect_max_range_m: float = 8.0
    light_direction: np.ndarray | None = None


@dataclass
class SceneBuilder:
    """Collects primitives and materials and tracks occupied space.

    Occupancy is kept as world floor rectangles ``(x0, z0, x1, z1)`` and as
    per-wall rectangles ``(a0, y0, a1, y1)``, so furniture does not overlap
    furniture, the door's swing area or the camera, and wall items do not
    overlap each other or tall furniture. ``variant`` says which material
    families are shared within the image and holds the geometry ranges that
    differ between variants (``variants.py``).
    """

    room: Room
    variant: Variant = VARIANTS['rooms']
    primitives: list = field(default_factory=list)
    materials: list = field(default_factory=list)
    floor_rects: list = field(default_factory=list)
    wall_rects: dict = field(default_factory=dict)
    shared_materials: dict = field(default_factory=dict)

    def material(self, material: Material) -> int:
        """Register a material; returns its index."""
        self.materials.append(material)
        return len(self.materials) - 1

    def family_material(self, rng: np.random.Generator, family: str) -> int:
        """Index of a material of ``family``: a new sample, or, for the
        variant's ``shared_families``, the image's one sample of it (drawn
        on first use)."""
        if family not in self.variant.shared_families:
            return self.material(sample_material(rng, family))
        if family not in self.shared_materials:
            self.shared_materials[family] = self.material(
                sample_material(rng, family))
        return self.shared_materials[family]

    def box(self, lo, hi, label: int, material: int) -> None:
        """Add a world-frame box (corners in any order)."""
        lo, hi = np.minimum(lo, hi), np.maximum(lo, hi)
        self.primitives.append(Box(tuple(map(float, lo)),
                                   tuple(map(float, hi)), label, material))

    def wall_box(self, wall: str, a0: float, a1: float, y0: float, y1: float,
                 n0: float, n1: float, label: int, material: int) -> None:
        """Add a box given in the wall frame of ``wall``."""
        self.box(self.room.to_world(wall, a0, y0, n0),
                 self.room.to_world(wall, a1, y1, n1), label, material)

    def quad(self, axis: int, offset: float, lo, hi, label: int,
             material: int) -> None:
        """Add a world-frame quad (see ``Quad``)."""
        self.primitives.append(Quad(axis, float(offset), tuple(map(float, lo)),
                                    tuple(map(float, hi)), label, material))

    def floor_rect(self, wall: str, a0: float, a1: float, n0: float,
                   n1: float) -> tuple[float, float, float, float]:
        """Wall-frame footprint -> world ``(x0, z0, x1, z1)``."""
        x0, _, z0 = self.room.to_world(wall, a0, 0.0, n0)
        x1, _, z1 = self.room.to_world(wall, a1, 0.0, n1)
        return (min(x0, x1), min(z0, z1), max(x0, x1), max(z0, z1))

    def floor_free(self, rect, margin: float = 0.05) -> bool:
        """Whether a world floor rect is inside the room and unoccupied."""
        x0, z0, x1, z1 = rect
        if x0 < -1e-9 or z0 < -1e-9 or x1 > self.room.width + 1e-9 \
                or z1 > self.room.depth + 1e-9:
            return False
        return not any(_overlap(rect, other, margin)
                       for other in self.floor_rects)

    def wall_free(self, wall: str, rect, margin: float = 0.05) -> bool:
        """Whether a wall rect ``(a0, y0, a1, y1)`` is on the wall and free."""
        a0, y0, a1, y1 = rect
        if a0 < margin or a1 > self.room.wall_length(wall) - margin \
                or y0 < 0 or y1 > self.room.height - margin:
            return False
        return not any(_overlap(rect, other, margin)
                       for other in self.wall_rects.get(wall, []))

    def occupy_wall(self, wall: str, rect) -> None:
        """Mark a wall rect ``(a0, y0, a1, y1)`` as used."""
        self.wall_rects.setdefault(wall, []).append(tuple(rect))


def _overlap(r1, r2, margin: float) -> bool:
    """Whether two ``(x0, y0, x1, y1)`` rectangles overlap, with a margin."""
    return (r1[0] < r2[2] + margin and r2[0] < r1[2] + margin
            and r1[1] < r2[3] + margin and r2[1] < r1[3] + margin)
