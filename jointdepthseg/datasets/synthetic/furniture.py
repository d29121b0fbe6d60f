"""Floor-standing furniture built from boxes in a wall frame.

Every ``add_*`` function samples its own dimensions (metres), finds a free
spot with the ``place_*`` helpers (or is told where to go), adds its boxes to
the ``SceneBuilder`` and returns where it went (or None if no spot was
free). Wall frame: ``a`` along the wall, ``y`` up, ``n`` out into the room
(see ``scene.py``); free-standing pieces use the ``'front'`` wall's frame.

Geometry that makes depth matter (see ``appearance.py`` for the shared
colours and ``variants.py`` for the ``depth-cue`` ranges): sofa pillows
stand 12-20 cm (``rooms``) or 25-35 cm (``depth-cue``) out from the
backrest, bed pillows rise 10-20 cm above the mattress.
"""
from __future__ import annotations

import numpy as np

from .appearance import sample_material
from .scene import UNLABELED, SceneBuilder, class_id
from .variants import (BED_HEADBOARD_M, BED_PILLOW_DEPTH_M,
                       BED_PILLOW_WALL_GAP_M)


def place_against_wall(b: SceneBuilder, rng: np.random.Generator, wall: str,
                       width: float, depth: float, height: float,
                       a_range=None, tries: int = 25):
    """Random free spot for a ``width x depth`` footprint backed on ``wall``.

    Occupies the floor and the wall up to ``height`` on success.

    Returns:
        ``a0`` (metres along the wall) or None.
    """
    length = b.room.wall_length(wall)
    lo, hi = a_range or (0.06, length - width - 0.06)
    hi = min(hi, length - width - 0.06)
    if hi < lo:
        return None
    for _ in range(tries):
        a0 = rng.uniform(lo, hi)
        if occupy_if_free(b, wall, a0, a0 + width, 0.0, depth,
                          wall_height=height):
            return a0
    return None


def occupy_if_free(b: SceneBuilder, wall: str, a0: float, a1: float,
                   n0: float, n1: float, wall_height: float | None = None
                   ) -> bool:
    """Occupy a wall-frame footprint if the floor (and wall) there is free."""
    rect = b.floor_rect(wall, a0, a1, n0, n1)
    if not b.floor_free(rect):
        return False
    if wall_height is not None and not b.wall_free(
            wall, (a0, 0.0, a1, wall_height), margin=0.02):
        return False
    b.floor_rects.append(rect)
    if wall_height is not None:
        b.occupy_wall(wall, (a0, 0.0, a1, wall_height + 0.1))
    return True


def place_free(b: SceneBuilder, rng: np.random.Generator, width: float,
               depth: float, wall_gap: float = 0.3, tries: int = 25):
    """Random free spot anywhere on the floor, ``wall_gap`` metres from the
    walls.

    Returns:
        ``(a0, n0)`` in the ``'front'`` wall frame, or None.
    """
    room = b.room
    if room.width - width < 2 * wall_gap or room.depth - depth < 2 * wall_gap:
        return None
    for _ in range(tries):
        a0 = rng.uniform(wall_gap, room.width - width - wall_gap)
        n0 = rng.uniform(wall_gap, room.depth - depth - wall_gap)
        if occupy_if_free(b, 'front', a0, a0 + width, n0, n0 + depth):
            return a0, n0
    return None


def add_bed(b: SceneBuilder, rng: np.random.Generator, wall: str):
    """Bed (headboard, body, 1-2 pillows 10-20 cm above the mattress, their
    front face 32-49 cm in front of the headboard; ``variants.py``).

    Returns:
        ``(a0, a1)`` span along the wall, or None.
    """
    width, length = rng.uniform(0.9, 1.8), rng.uniform(1.9, 2.1)
    top, head = rng.uniform(0.45, 0.6), rng.uniform(0.9, 1.2)
    a0 = place_against_wall(b, rng, wall, width, length, head)
    if a0 is None:
        return None
    bed = class_id('bed')
    b.wall_box(wall, a0, a0 + width, 0, head, 0, BED_HEADBOARD_M, bed,
               b.family_material(rng, 'upholstery'))
    b.wall_box(wall, a0, a0 + width, 0, top, BED_HEADBOARD_M, length, bed,
               b.family_material(rng, 'upholstery'))
    count = 2 if width > 1.3 else 1
    pillow = b.family_material(rng, 'upholstery')
    slot = width / count
    for i in range(count):
        p_width = min(rng.uniform(0.45, 0.65), slot - 0.08)
        p0 = a0 + i * slot + (slot - p_width) / 2
        n0 = rng.uniform(*BED_PILLOW_WALL_GAP_M)
        b.wall_box(wall, p0, p0 + p_width, top, top + rng.uniform(0.1, 0.2),
                   n0, n0 + rng.uniform(*BED_PILLOW_DEPTH_M),
                   class_id('pillow'), pillow)
    return a0, a0 + width


def add_sofa(b: SceneBuilder, rng: np.random.Generator, wall: str):
    """Sofa (back, seat, arms) with 1-4 pillows 35-45 cm high on the seat,
    leaning on the backrest: 12-20 cm thick in ``rooms``, 25-35 cm in
    ``depth-cue`` (``b.variant``).

    Returns:
        ``(a0, a1, depth)`` or None.
    """
    width, depth = rng.uniform(1.5, 2.4), rng.uniform(0.8, 0.95)
    seat, back_h = rng.uniform(0.4, 0.48), rng.uniform(0.75, 0.9)
    back_t, arm_w = rng.uniform(0.15, 0.25), rng.uniform(0.12, 0.2)
    arm_h = rng.uniform(0.55, 0.65)
    a0 = place_against_wall(b, rng, wall, width, depth, back_h)
    if a0 is None:
        return None
    a1, sofa = a0 + width, class_id('sofa')
    cover = b.family_material(rng, 'upholstery')
    b.wall_box(wall, a0, a1, 0, back_h, 0, back_t, sofa, cover)
    b.wall_box(wall, a0 + arm_w, a1 - arm_w, 0, seat, back_t, depth, sofa,
               cover)
    b.wall_box(wall, a0, a0 + arm_w, 0, arm_h, back_t, depth, sofa, cover)
    b.wall_box(wall, a1 - arm_w, a1, 0, arm_h, back_t, depth, sofa, cover)
    seat_width = width - 2 * arm_w
    count = int(rng.integers(1, max(2, min(5, int(seat_width / 0.45)) + 1)))
    slot = seat_width / count
    for i in range(count):
        p_width = min(rng.uniform(0.35, 0.5), slot - 0.05)
        p0 = a0 + arm_w + i * slot + rng.uniform(0, slot - p_width)
        b.wall_box(wall, p0, p0 + p_width, seat,
                   seat + rng.uniform(0.35, 0.45), back_t,
                   back_t + rng.uniform(*b.variant.sofa_pillow_thickness_m),
                   class_id('pillow'), b.family_material(rng, 'upholstery'))
    return a0, a1, depth


def add_table(b: SceneBuilder, wall: str, a0: float, n0: float, width: float,
              depth: float, height: float, label: int, material: int) -> None:
    """Table top on four 5 cm legs (no placement check)."""
    a1, n1, leg, top = a0 + width, n0 + depth, 0.05, 0.04
    b.wall_box(wall, a0, a1, height - top, height, n0, n1, label, material)
    for la, ln in ((a0, n0), (a1 - leg, n0), (a0, n1 - leg),
                   (a1 - leg, n1 - leg)):
        b.wall_box(wall, la, la + leg, 0, height - top, ln, ln + leg, label,
                   material)


def add_chair(b: SceneBuilder, rng: np.random.Generator, wall: str,
              a0: float, n0: float, back_side: str, material: int,
              size: float = 0.45) -> bool:
    """Chair with its backrest on ``back_side`` (``'a0'``, ``'a1'``,
    ``'n0'``, ``'n1'``) of a ``size`` metres square footprint at
    ``(a0, n0)``, if that footprint is free."""
    seat, back = rng.uniform(0.43, 0.47), rng.uniform(0.85, 1.0)
    a1, n1 = a0 + size, n0 + size
    if not occupy_if_free(b, wall, a0, a1, n0, n1):
        return False
    chair, leg, slab = class_id('chair'), 0.04, 0.04
    for la, ln in ((a0, n0), (a1 - leg, n0), (a0, n1 - leg),
                   (a1 - leg, n1 - leg)):
        b.wall_box(wall, la, la + leg, 0, seat - slab, ln, ln + leg, chair,
                   material)
    b.wall_box(wall, a0, a1, seat - slab, seat, n0, n1, chair, material)
    ba0, ba1, bn0, bn1 = {
        'a0': (a0, a0 + slab, n0, n1), 'a1': (a1 - slab, a1, n0, n1),
        'n0': (a0, a1, n0, n0 + slab), 'n1': (a0, a1, n1 - slab, n1)
    }[back_side]
    b.wall_box(wall, ba0, ba1, seat, back, bn0, bn1, chair, material)
    return True


def add_desk(b: SceneBuilder, rng: np.random.Generator, wall: str):
    """Desk with a drawer pedestal and a chair in front.

    Returns:
        ``(a0, a1, depth, height)`` or None.
    """
    width, depth = rng.uniform(1.0, 1.6), rng.uniform(0.55, 0.75)
    height = rng.uniform(0.72, 0.76)
    a0 = place_against_wall(b, rng, wall, width, depth, height)
    if a0 is None:
        return None
    desk, wood = class_id('desk'), b.material(sample_material(rng, 'wood'))
    add_table(b, wall, a0, 0.0, width, depth, height, desk, wood)
    ped = rng.uniform(0.35, 0.45)
    p0 = a0 if rng.random() < 0.5 else a0 + width - ped
    b.wall_box(wall, p0, p0 + ped, 0, height - 0.04, 0.02, depth - 0.02,
               desk, wood)
    chair_a = a0 + rng.uniform(0.1, max(0.11, width - 0.6))
    add_chair(b, rng, wall, chair_a, depth + rng.uniform(0.06, 0.2), 'n1',
              b.material(sample_material(rng, 'chair')),
              rng.uniform(0.42, 0.5))
    return a0, a0 + width, depth, height


def add_cabinet(b: SceneBuilder, rng: np.random.Generator, wall: str,
                label: str = 'cabinet', tall: bool = False):
    """Cabinet / night stand: a wooden box with 1-2 handles.

    Returns:
        ``(a0, a1, depth, height)`` or None.
    """
    if label == 'night stand':
        width, depth = rng.uniform(0.4, 0.55), rng.uniform(0.35, 0.45)
        height = rng.uniform(0.45, 0.6)
    else:
        width, depth = rng.uniform(0.5, 1.4), rng.uniform(0.4, 0.6)
        height = rng.uniform(1.7, 2.1) if tall else rng.uniform(0.6, 1.0)
    a0 = place_against_wall(b, rng, wall, width, depth, height)
    if a0 is None:
        return None
    add_cabinet_at(b, rng, wall, a0, width, depth, height, class_id(label))
    return a0, a0 + width, depth, height


def add_cabinet_at(b: SceneBuilder, rng: np.random.Generator, wall: str,
                   a0: float, width: float, depth: float, height: float,
                   label: int) -> None:
    """The boxes of a cabinet at a known spot (no placement check)."""
    b.wall_box(wall, a0, a0 + width, 0, height, 0, depth, label,
               b.material(sample_material(rng, 'wood')))
    metal = b.material(sample_material(rng, 'metal'))
    doors = 1 if width < 0.7 else 2
    for i in range(doors):
        ha = a0 + (i + 0.5) * width / doors - 0.05
        hy = height - 0.12 if height < 1.2 else 1.0
        b.wall_box(wall, ha, ha + 0.1, hy, hy + 0.025, depth, depth + 0.025,
                   label, metal)


def add_lamp(b: SceneBuilder, rng: np.random.Generator, wall: str, a: float,
             n: float, base_y: float, floor: bool = False) -> None:
    """Lamp: pole + shade centred at ``(a, n)`` standing on ``base_y``."""
    lamp = class_id('lamp')
    pole = rng.uniform(1.2, 1.6) if floor else rng.uniform(0.2, 0.35)
    shade_w = rng.uniform(0.3, 0.45) if floor else rng.uniform(0.22, 0.32)
    shade_h = rng.uniform(0.2, 0.3)
    b.wall_box(wall, a - 0.015, a + 0.015, base_y, base_y + pole, n - 0.015,
               n + 0.015, lamp, b.material(sample_material(rng, 'metal')))
    b.wall_box(wall, a - shade_w / 2, a + shade_w / 2, base_y + pole,
               base_y + pole + shade_h, n - shade_w / 2, n + shade_w / 2,
               lamp, b.material(sample_material(rng, 'lampshade')))


def add_television(b: SceneBuilder, rng: np.random.Generator, wall: str,
                   a0: float, a1: float, base_y: float) -> None:
    """Flat screen on a stand, centred on ``[a0, a1]`` at height
    ``base_y``."""
    width = min(rng.uniform(0.8, 1.3), a1 - a0 - 0.05)
    if width < 0.4:
        return
    height, mid = width * rng.uniform(0.55, 0.6), (a0 + a1) / 2
    tv, screen = class_id('television'), sample_material(rng, 'screen')
    material = b.material(screen)
    b.wall_box(wall, mid - 0.1, mid + 0.1, base_y, base_y + 0.08, 0.1, 0.25,
               tv, material)
    b.wall_box(wall, mid - width / 2, mid + width / 2, base_y + 0.08,
               base_y + 0.08 + height, 0.15, 0.2, tv, material)


def add_clutter(b: SceneBuilder, rng: np.random.Generator, wall: str,
                a0: float, a1: float, n0: float, n1: float, base_y: float,
                count: int) -> None:
    """``count`` small unlabeled (255) boxes on a surface spanning
    ``[a0, a1] x [n0, n1]`` at height ``base_y``."""
    for _ in range(count):
        size = rng.uniform(0.08, 0.25, 3)
        if a1 - a0 <= size[0] or n1 - n0 <= size[2]:
            continue
        ca = rng.uniform(a0, a1 - size[0])
        cn = rng.uniform(n0, n1 - size[2])
        b.wall_box(wall, ca, ca + size[0], base_y, base_y + size[1], cn,
                   cn + size[2], UNLABELED,
                   b.material(sample_material(rng, 'clutter')))
