"""Bookshelf filled with books: the books-vs-bookshelf depth cue.

Books and the shelf draw their colours from the same ``shelf`` family
(``appearance.py``; in ``depth-cue`` the very same sample), so only geometry
separates them: book spines stand 1-3 cm behind the front edge of the boards
but 23-35 cm (``rooms``) or 27-37 cm (``depth-cue``, deeper shelves) in front
of the back panel, which shows in the gaps between and above the books.
"""
from __future__ import annotations

import numpy as np

from .furniture import place_against_wall
from .scene import SceneBuilder, class_id
from .variants import BOARD_M, BOOK_RECESS_M


def add_books(b: SceneBuilder, rng: np.random.Generator, wall: str,
              a0: float, a1: float, y0: float, gap: float, front_n: float,
              palette: list[int]) -> None:
    """A row of books on a board spanning ``[a0, a1]`` with top ``y0``.

    Args:
        gap: free height above the board, metres.
        front_n: wall-frame ``n`` of the front edge of the board.
        palette: material indices to draw each book's cover from.
    """
    books, geometry = class_id('books'), b.variant
    fill_end = a0 + (a1 - a0) * rng.uniform(0.5, 1.0)
    a = a0 + rng.uniform(0.0, 0.1)
    while a < fill_end:
        if rng.random() < 0.1:  # a gap in the row shows the back panel
            a += rng.uniform(0.05, 0.15)
            continue
        width = rng.uniform(0.02, 0.06)
        if a + width > a1:
            break
        front = front_n - rng.uniform(*BOOK_RECESS_M)
        b.wall_box(wall, a, a + width, y0,
                   y0 + gap * rng.uniform(*geometry.book_height_fraction),
                   front - rng.uniform(*geometry.book_depth_m), front, books,
                   palette[int(rng.integers(len(palette)))])
        a += width


def add_bookshelf(b: SceneBuilder, rng: np.random.Generator, wall: str):
    """Open bookshelf (back panel, sides, boards) with books on each board.

    Returns:
        ``(a0, a1, depth, height)`` or None.
    """
    width, depth = rng.uniform(0.6, 1.2), rng.uniform(*b.variant.shelf_depth_m)
    height = rng.uniform(1.2, 2.0)
    a0 = place_against_wall(b, rng, wall, width, depth, height)
    if a0 is None:
        return None
    a1, shelf = a0 + width, class_id('bookshelf')
    wood = b.family_material(rng, 'shelf')
    b.wall_box(wall, a0, a1, 0, height, 0, BOARD_M, shelf, wood)
    b.wall_box(wall, a0, a0 + BOARD_M, 0, height, 0, depth, shelf, wood)
    b.wall_box(wall, a1 - BOARD_M, a1, 0, height, 0, depth, shelf, wood)
    levels = max(2, int(round((height - 0.1) / 0.35)))
    pitch = (height - 0.08 - BOARD_M) / levels
    palette = [b.family_material(rng, 'shelf')
               for _ in range(int(rng.integers(3, 7)))]
    for i in range(levels + 1):
        y = 0.0 if i == 0 else 0.08 + i * pitch - BOARD_M
        top = 0.08 if i == 0 else y + BOARD_M
        b.wall_box(wall, a0 + BOARD_M, a1 - BOARD_M, y, top, BOARD_M, depth,
                   shelf, wood)
        if i < levels and rng.random() < 0.9:
            add_books(b, rng, wall, a0 + BOARD_M, a1 - BOARD_M, top,
                      pitch - BOARD_M, depth, palette)
    return a0, a1, depth, height
