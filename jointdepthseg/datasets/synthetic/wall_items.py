"""Things on the walls: doors, windows, pictures and whiteboards.

Pictures and whiteboards draw their colour from the same ``paint`` family as
the walls (``appearance.py``); what separates them from the wall is that they
stand **8-15 cm** off it (deep frames / boards on spacers). Real pictures
stand out 2-5 cm, which is below what a depth estimate can resolve, so the
cue is exaggerated on purpose. Wall items never overlap each other, the door
or tall furniture (the ``SceneBuilder`` wall occupancy).
"""
from __future__ import annotations

import numpy as np

from .appearance import sample_material
from .scene import SceneBuilder, class_id

#: How far pictures and whiteboards stand off the wall, metres.
STANDOFF_RANGE_M = (0.08, 0.15)


def _free_wall_spot(b: SceneBuilder, rng: np.random.Generator, wall: str,
                    width: float, y0: float, y1: float, tries: int = 25):
    """Random ``a0`` where ``[a0, a0 + width] x [y0, y1]`` is free, or None."""
    length = b.room.wall_length(wall)
    if length - width < 0.2:
        return None
    for _ in range(tries):
        a0 = rng.uniform(0.1, length - width - 0.1)
        rect = (a0, y0, a0 + width, y1)
        if b.wall_free(wall, rect):
            b.occupy_wall(wall, rect)
            return a0
    return None


def add_door(b: SceneBuilder, rng: np.random.Generator, wall: str) -> bool:
    """Door leaf 3 cm proud of the wall, frame and handle; keeps the floor
    in front (0.9 m) free."""
    width = rng.uniform(0.8, 0.95)
    height = min(rng.uniform(2.0, 2.1), b.room.height - 0.15)
    length = b.room.wall_length(wall)
    for _ in range(25):
        a0 = rng.uniform(0.2, length - width - 0.2)
        rect = b.floor_rect(wall, a0 - 0.1, a0 + width + 0.1, 0.0, 0.9)
        if b.floor_free(rect) and b.wall_free(
                wall, (a0 - 0.1, 0.0, a0 + width + 0.1, height + 0.1)):
            break
    else:
        return False
    b.floor_rects.append(rect)
    b.occupy_wall(wall, (a0 - 0.1, 0.0, a0 + width + 0.1, height + 0.1))
    door, a1 = class_id('door'), a0 + width
    b.wall_box(wall, a0, a1, 0, height, 0, 0.03, door,
               b.material(sample_material(rng, 'door')))
    frame = b.material(sample_material(rng, 'frame'))
    b.wall_box(wall, a0 - 0.06, a0, 0, height + 0.06, 0, 0.05, door, frame)
    b.wall_box(wall, a1, a1 + 0.06, 0, height + 0.06, 0, 0.05, door, frame)
    b.wall_box(wall, a0, a1, height, height + 0.06, 0, 0.05, door, frame)
    handle = a1 - 0.16 if rng.random() < 0.5 else a0 + 0.04
    b.wall_box(wall, handle, handle + 0.12, 0.95, 0.98, 0.03, 0.09, door,
               b.material(sample_material(rng, 'metal')))
    return True


def add_window(b: SceneBuilder, rng: np.random.Generator, wall: str) -> bool:
    """Glass pane 1 cm off the wall (bright, no Kinect return), a 5 cm
    frame, an optional mullion and a sill."""
    width = rng.uniform(0.8, 2.2)
    y0 = rng.uniform(0.8, 1.0)
    y1 = min(y0 + rng.uniform(1.0, 1.5), b.room.height - 0.2)
    a0 = _free_wall_spot(b, rng, wall, width + 0.2, y0 - 0.1, y1 + 0.1)
    if a0 is None:
        return False
    a0, a1 = a0 + 0.1, a0 + 0.1 + width
    window = class_id('window')
    glass = b.material(sample_material(rng, 'glass'))
    p0 = b.room.to_world(wall, a0, y0, 0.01)
    p1 = b.room.to_world(wall, a1, y1, 0.01)
    axis = 2 if wall in ('front', 'back') else 0
    other = [i for i in range(3) if i != axis]
    b.quad(axis, p0[axis], [min(p0[i], p1[i]) for i in other],
           [max(p0[i], p1[i]) for i in other], window, glass)
    frame, bar = b.material(sample_material(rng, 'frame')), 0.05
    b.wall_box(wall, a0, a0 + bar, y0, y1, 0, bar, window, frame)
    b.wall_box(wall, a1 - bar, a1, y0, y1, 0, bar, window, frame)
    b.wall_box(wall, a0, a1, y1 - bar, y1, 0, bar, window, frame)
    b.wall_box(wall, a0, a1, y0, y0 + bar, 0, bar, window, frame)
    if width > 1.2 and rng.random() < 0.7:
        mid = (a0 + a1) / 2
        b.wall_box(wall, mid - bar / 2, mid + bar / 2, y0, y1, 0, bar,
                   window, frame)
    b.wall_box(wall, a0 - 0.05, a1 + 0.05, y0 - 0.04, y0, 0, 0.12, window,
               frame)
    return True


def add_wall_panel(b: SceneBuilder, rng: np.random.Generator, wall: str,
                   label: str) -> bool:
    """A picture (0.4-1 x 0.3-0.8 m, bottom 1.1-1.6 m) or a whiteboard
    (1.2-2 x 0.9-1.2 m, bottom 0.85-1.05 m, with a pen tray), standing
    ``STANDOFF_RANGE_M`` off the wall, coloured like a wall."""
    if label == 'whiteboard':
        width, height = rng.uniform(1.2, 2.0), rng.uniform(0.9, 1.2)
        y0 = rng.uniform(0.85, 1.05)
    elif label == 'picture':
        width, height = rng.uniform(0.4, 1.0), rng.uniform(0.3, 0.8)
        y0 = rng.uniform(1.1, 1.6)
    else:
        raise ValueError(f'wall panel label must be picture or whiteboard, '
                         f'got {label!r}')
    y1 = min(y0 + height, b.room.height - 0.15)
    a0 = _free_wall_spot(b, rng, wall, width, y0 - 0.05, y1)
    if a0 is None:
        return False
    standoff = rng.uniform(*STANDOFF_RANGE_M)
    paint = b.material(sample_material(rng, 'paint'))
    b.wall_box(wall, a0, a0 + width, y0, y1, 0, standoff, class_id(label),
               paint)
    if label == 'whiteboard':
        b.wall_box(wall, a0, a0 + width, y0 - 0.04, y0, 0, standoff + 0.06,
                   class_id(label), b.material(sample_material(rng, 'metal')))
    return True
