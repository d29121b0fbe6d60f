"""A random furnished room and a camera looking into it.

``sample_scene`` draws a room box (3-4.8 x 3-5 x 2.5-3 m), a camera
near the back wall (height 1.1-1.7 m, looking 5-20 degrees down, turned
towards the room's centre), the room shell (walls, floor, ceiling), then the
furniture of one of four room types:

* bedroom: bed with pillows, night stands with lamps, cabinet, floor mat;
* living room: sofa with pillows, coffee table on a floor mat, cabinet with
  a television, bookshelf, floor lamp;
* office: desk with a chair, whiteboard, bookshelves, cabinet;
* dining room: table with chairs, floor mat, cabinet, bookshelf;

then a door, a window, 1-3 extra pieces (cabinets, bookshelves, floor lamps,
chairs) and 1-4 pictures. Furniture stands against the front, left and
right walls (the back wall is behind the camera). The variant
(``variants.py``) sets which materials are shared and the pillow, headboard
and book geometry.
"""
from __future__ import annotations

import math

import numpy as np

from .appearance import sample_material
from .bookshelf import add_bookshelf
from .camera import PinholeCamera
from .furniture import (add_bed, add_cabinet, add_cabinet_at, add_chair,
                        add_clutter, add_desk, add_lamp, add_sofa, add_table,
                        add_television, occupy_if_free, place_against_wall,
                        place_free)
from .scene import Room, Scene, SceneBuilder, class_id
from .variants import get_variant
from .wall_items import add_door, add_wall_panel, add_window

ROOM_TYPES = ('bedroom', 'living_room', 'office', 'dining_room')
VISIBLE_WALLS = ('front', 'left', 'right')


def add_shell(b: SceneBuilder, rng: np.random.Generator) -> None:
    """Floor, ceiling and four walls as quads (one paint, sometimes an
    accent wall)."""
    room = b.room
    w, d, h = room.width, room.depth, room.height
    b.quad(1, 0.0, (0, 0), (w, d), class_id('floor'),
           b.material(sample_material(rng, 'floor')))
    b.quad(1, h, (0, 0), (w, d), class_id('ceiling'),
           b.material(sample_material(rng, 'ceiling')))
    paint = b.material(sample_material(rng, 'paint'))
    wall = class_id('wall')
    accent = b.material(sample_material(rng, 'paint')) \
        if rng.random() < 0.25 else paint
    b.quad(2, d, (0, 0), (w, h), wall, accent)  # front
    b.quad(2, 0.0, (0, 0), (w, h), wall, paint)  # back
    b.quad(0, 0.0, (0, 0), (h, d), wall, paint)  # left
    b.quad(0, w, (0, 0), (h, d), wall, paint)  # right


def distant_light_direction(light_position, camera_position,
                            elevation_deg: float) -> np.ndarray:
    """(3,) unit vector towards a distant light behind the camera:
    horizontally from the ceiling light towards the camera, ``elevation_deg``
    above the horizon."""
    horizontal = np.asarray(camera_position, np.float64) - light_position
    horizontal[1] = 0.0
    horizontal /= max(np.linalg.norm(horizontal), 1e-9)
    elevation = math.radians(elevation_deg)
    return horizontal * math.cos(elevation) + np.array(
        [0.0, math.sin(elevation), 0.0])


def sample_camera(rng: np.random.Generator, room: Room,
                  size: tuple[int, int]) -> PinholeCamera:
    """A camera near the back wall looking into the room."""
    x = rng.uniform(0.3, 0.7) * room.width
    z = rng.uniform(0.2, 0.7)
    height = rng.uniform(1.1, 1.7)
    yaw = math.atan2(room.width / 2 - x, room.depth / 2 - z) + rng.uniform(
        -0.35, 0.35)
    return PinholeCamera.nyu(size, (x, height, z), yaw=yaw,
                             pitch=math.radians(rng.uniform(5, 20)),
                             roll=math.radians(rng.uniform(-2, 2)))


def _main_wall(rng: np.random.Generator) -> str:
    return 'front' if rng.random() < 0.75 else str(rng.choice(['left',
                                                               'right']))


def _other_walls(rng: np.random.Generator, used: str) -> list[str]:
    walls = [w for w in VISIBLE_WALLS if w != used]
    rng.shuffle(walls)
    return walls + [used]


def _floor_mat(b: SceneBuilder, rng: np.random.Generator, wall: str,
               a0: float, a1: float, n0: float, n1: float) -> None:
    """Floor mat (floor-family colours) 4-8 cm high over a wall-frame
    rectangle; furniture may stand on it."""
    room = b.room
    across = room.depth if wall in ('front', 'back') else room.width
    a0, a1 = max(a0, 0.05), min(a1, room.wall_length(wall) - 0.05)
    n0, n1 = max(n0, 0.05), min(n1, across - 0.05)
    if a1 - a0 < 0.4 or n1 - n0 < 0.4:
        return
    b.wall_box(wall, a0, a1, 0, rng.uniform(0.04, 0.08), n0, n1,
               class_id('floor mat'),
               b.material(sample_material(rng, 'floor')))


def _bedroom(b, rng):
    wall = _main_wall(rng)
    bed = add_bed(b, rng, wall)
    if bed is not None:
        for side in (-1, 1):
            if rng.random() < 0.75:
                stand_w = rng.uniform(0.4, 0.55)
                a0 = bed[0] - stand_w - 0.05 if side < 0 else bed[1] + 0.05
                stand = place_against_wall(b, rng, wall, stand_w, 0.4, 0.55,
                                           a_range=(a0, a0), tries=1)
                if stand is not None:
                    height = rng.uniform(0.45, 0.6)
                    add_cabinet_at(b, rng, wall, stand, stand_w, 0.4, height,
                                   class_id('night stand'))
                    if rng.random() < 0.7:
                        add_lamp(b, rng, wall, stand + stand_w / 2, 0.2,
                                 height)
        if rng.random() < 0.6:
            side = bed[1] + 0.1 if rng.random() < 0.5 else bed[0] - 1.1
            _floor_mat(b, rng, wall, side, side + 1.0, 0.4, 1.9)
    others = _other_walls(rng, wall)
    if rng.random() < 0.8:
        add_cabinet(b, rng, others[0], tall=rng.random() < 0.3)
    if rng.random() < 0.4:
        add_bookshelf(b, rng, others[1])
    if rng.random() < 0.3:
        add_desk(b, rng, others[1])
    return wall


def _living_room(b, rng):
    wall = _main_wall(rng)
    sofa = add_sofa(b, rng, wall)
    if sofa is not None:
        a0, a1, depth = sofa
        t_w = min(rng.uniform(0.8, 1.2), a1 - a0 - 0.2)
        t_d, n0 = rng.uniform(0.45, 0.7), depth + rng.uniform(0.35, 0.5)
        ta0 = (a0 + a1 - t_w) / 2
        if rng.random() < 0.7:
            _floor_mat(b, rng, wall, ta0 - 0.4, ta0 + t_w + 0.4, n0 - 0.3,
                       n0 + t_d + 0.4)
        if occupy_if_free(b, wall, ta0, ta0 + t_w, n0, n0 + t_d):
            height = rng.uniform(0.4, 0.48)
            add_table(b, wall, ta0, n0, t_w, t_d, height, class_id('table'),
                      b.material(sample_material(rng, 'wood')))
            add_clutter(b, rng, wall, ta0, ta0 + t_w, n0, n0 + t_d, height,
                        int(rng.integers(0, 3)))
    others = _other_walls(rng, wall)
    if rng.random() < 0.7:
        cab = add_cabinet(b, rng, others[0])
        if cab is not None and cab[3] < 0.85 and rng.random() < 0.8:
            add_television(b, rng, others[0], cab[0], cab[1], cab[3])
    if rng.random() < 0.7:
        add_bookshelf(b, rng, others[1])
    if rng.random() < 0.5:
        _floor_lamp(b, rng, others[2])
    return wall


def _office(b, rng):
    wall = _main_wall(rng)
    desk = add_desk(b, rng, wall)
    if desk is not None:
        a0, a1, depth, height = desk
        if rng.random() < 0.4:
            add_lamp(b, rng, wall, a0 + 0.2, 0.2, height)
        add_clutter(b, rng, wall, a0 + 0.4, a1, 0.05, depth, height,
                    int(rng.integers(0, 3)))
    others = _other_walls(rng, wall)
    if rng.random() < 0.8:
        add_wall_panel(b, rng, others[0] if rng.random() < 0.5 else wall,
                       'whiteboard')
    for shelf_wall in others[:int(rng.integers(1, 3))]:
        add_bookshelf(b, rng, shelf_wall)
    if rng.random() < 0.6:
        add_cabinet(b, rng, others[1])
    if rng.random() < 0.4:
        add_desk(b, rng, others[2])
    if rng.random() < 0.2:
        spot = place_free(b, rng, 1.2, 0.9)
        if spot is not None:
            _floor_mat(b, rng, 'front', spot[0], spot[0] + 1.2, spot[1],
                       spot[1] + 0.9)
    return wall


def _dining_room(b, rng):
    width, depth = rng.uniform(1.0, 1.6), rng.uniform(0.8, 1.0)
    spot = place_free(b, rng, width + 0.8, depth + 0.8, wall_gap=0.1)
    if spot is not None:
        b.floor_rects.pop()  # the ring around the table is for the chairs
        a0, n0 = spot[0] + 0.4, spot[1] + 0.4
        if rng.random() < 0.4:
            _floor_mat(b, rng, 'front', a0 - 0.5, a0 + width + 0.5, n0 - 0.5,
                       n0 + depth + 0.5)
        height = rng.uniform(0.72, 0.78)
        add_table(b, 'front', a0, n0, width, depth, height, class_id('table'),
                  b.material(sample_material(rng, 'wood')))
        chair, size = b.material(sample_material(rng, 'chair')), 0.45
        mid_a, mid_n = a0 + (width - size) / 2, n0 + (depth - size) / 2
        seats = [(mid_a, n0 - size + 0.05, 'n0'),
                 (mid_a, n0 + depth - 0.05, 'n1'),
                 (a0 - size + 0.05, mid_n, 'a0'),
                 (a0 + width - 0.05, mid_n, 'a1')]
        for i in rng.permutation(4)[:int(rng.integers(2, 5))]:
            add_chair(b, rng, 'front', *seats[i], chair, size)
        b.floor_rects.append(b.floor_rect('front', a0, a0 + width, n0,
                                          n0 + depth))
        add_clutter(b, rng, 'front', a0, a0 + width, n0, n0 + depth, height,
                    int(rng.integers(0, 3)))
    others = _other_walls(rng, 'front')
    if rng.random() < 0.8:
        add_cabinet(b, rng, others[0])
    if rng.random() < 0.4:
        add_bookshelf(b, rng, others[1])
    return 'front'


def _floor_lamp(b, rng, wall):
    spot = place_against_wall(b, rng, wall, 0.5, 0.5, 1.9)
    if spot is not None:
        add_lamp(b, rng, wall, spot + 0.25, 0.25, 0.0, floor=True)


def _wall_chair(b, rng, wall):
    length = b.room.wall_length(wall)
    add_chair(b, rng, wall, rng.uniform(0.1, length - 0.6),
              rng.uniform(0.02, 0.1), 'n0',
              b.material(sample_material(rng, 'chair')),
              rng.uniform(0.42, 0.5))


#: Pieces any room may get on top of its own furniture.
_EXTRA_PIECES = (
    lambda b, rng, wall: add_cabinet(b, rng, wall),
    lambda b, rng, wall: add_cabinet(b, rng, wall, tall=True),
    add_bookshelf, _floor_lamp, _wall_chair)


def add_extra_furniture(b: SceneBuilder, rng: np.random.Generator,
                        count: int) -> None:
    """Try ``count`` random extra pieces on random visible walls."""
    for _ in range(count):
        piece = _EXTRA_PIECES[int(rng.integers(len(_EXTRA_PIECES)))]
        piece(b, rng, str(rng.choice(VISIBLE_WALLS)))


_ROOM_BUILDERS = dict(bedroom=_bedroom, living_room=_living_room,
                      office=_office, dining_room=_dining_room)


def sample_scene(rng: np.random.Generator, size: tuple[int, int],
                 variant: str = 'rooms') -> Scene:
    """A random furnished room and camera.

    Args:
        rng: the only source of randomness (same state -> same scene).
        size: image ``(height, width)`` in pixels.
        variant: ``'rooms'`` or ``'depth-cue'`` (``variants.py``).

    Returns:
        The ``Scene``.
    """
    spec = get_variant(variant)
    room = Room(width=rng.uniform(3.0, 4.8), depth=rng.uniform(3.0, 5.0),
                height=rng.uniform(2.5, 3.0))
    camera = sample_camera(rng, room, size)
    b = SceneBuilder(room, variant=spec)
    cam_x, _, cam_z = camera.position
    b.floor_rects.append((cam_x - 0.5, 0.0, cam_x + 0.5, cam_z + 0.6))
    add_shell(b, rng)
    room_type = ROOM_TYPES[int(rng.integers(len(ROOM_TYPES)))]
    main_wall = _ROOM_BUILDERS[room_type](b, rng)
    for add_item, probability in ((add_door, 0.75), (add_window, 0.85)):
        if rng.random() < probability:  # on the first wall with room for it
            any(add_item(b, rng, wall) for wall in rng.permutation(
                VISIBLE_WALLS).tolist())
    add_extra_furniture(b, rng, int(rng.integers(1, 4)))
    for i in range(int(rng.integers(1, 5))):
        wall = main_wall if i == 0 else str(rng.choice(VISIBLE_WALLS))
        add_wall_panel(b, rng, wall, 'picture')
    light = np.array([rng.uniform(0.3, 0.7) * room.width, room.height - 0.05,
                      rng.uniform(0.3, 0.7) * room.depth])
    direction = None
    if spec.distant_light_elevation_deg is not None:
        direction = distant_light_direction(
            light, camera.position, spec.distant_light_elevation_deg)
    return Scene(camera, b.primitives, b.materials, light,
                 kinect_max_range_m=rng.uniform(5.5, 8.0),
                 light_direction=direction)
