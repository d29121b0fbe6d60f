"""Dataset variants: ``rooms`` (the default) and ``depth-cue``.

Both variants build the same rooms with the same generator. They differ in two
things, both chosen so that **depth is the only cue** for some class pairs in
``depth-cue``:

* **Materials.** In ``rooms`` every object draws its own material sample, so a
  pillow almost never has its sofa's colour and the appearance kernel of the
  CRF separates them. In ``depth-cue`` the families in ``shared_families``
  are drawn **once per image**: the sofa, the bed and their pillows are one
  upholstery sample, and every bookshelf and its books one shelf sample
  (same colour, texture, texture scale and noise lattice). Colour and texture
  cannot tell them apart; only geometry can.
* **Geometry.** ``depth-cue`` widens the depth step between the pair's
  surfaces beyond the CRF's depth-kernel width (theta_zeta = 0.2 m): sofa
  pillows are 25-35 cm thick (12-20 cm in ``rooms``), bookshelves deeper and
  books shallower and shorter, so the back panel is 27-37 cm behind the
  spines and shows more. Bed pillows keep their ``rooms`` shape: their front
  face already stands 32-49 cm in front of the headboard.
* **Light.** The ceiling point light's cosine and fall-off make a pillow's
  front face 10-20 % brighter or darker than the backrest behind it, a cue
  the CRF's appearance kernel could use. ``depth-cue`` replaces it by a
  distant light from behind the camera, 50 degrees up: faces with the same
  normal get the same light wherever they are, and the tops and fronts that
  face the camera get about the same, so a pillow's mean colour is its
  sofa's within a few grey levels.

``DEPTH_CUE_PAIRS`` lists the depth-only pairs (the paper's Sec. 4.3 names
pillow vs couch, bookshelf vs book and sink vs counter; the generator has no
sink or counter). Pairs whose classes share a family in ``rooms`` but have no
real depth step -- picture or whiteboard on a wall (8-15 cm), floor mat on the
floor (4-8 cm) -- stay independent samples in both variants.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..nyu_classes import NYU40_CLASSES

#: Back panel, sides and boards of a bookshelf, metres (see ``bookshelf.py``).
BOARD_M = 0.02


@dataclass(frozen=True)
class DepthCuePair:
    """Two classes that only geometry separates in ``depth-cue``.

    Attributes:
        classes: the two NYU-40 class names, ``(object, support)``.
        family: the appearance family both are drawn from, once per image.
        design_step_m: ``(min, max)`` metres along the wall normal between
            the object's front face and the support surface behind it.
        where: which surfaces make the step.
    """

    classes: tuple[str, str]
    family: str
    design_step_m: tuple[float, float]
    where: str

    @property
    def ids(self) -> tuple[int, int]:
        """0-based NYU-40 ids of ``classes`` (``NYU40_CLASSES`` indices)."""
        return tuple(NYU40_CLASSES.index(name) for name in self.classes)


@dataclass(frozen=True)
class Variant:
    """Material sharing and the geometry ranges (metres, ``(lo, hi)``) that
    differ between variants; everything else is the same generator.

    Attributes:
        name: ``'rooms'`` or ``'depth-cue'``.
        shared_families: appearance families drawn once per image.
        depth_only_pairs: the pairs that only depth separates.
        sofa_pillow_thickness_m: how far a sofa pillow's front face stands
            in front of the backrest.
        book_height_fraction: book height as a fraction of the free height
            above its board.
        book_depth_m: book extent along the wall normal.
        shelf_depth_m: bookshelf depth (its back panel is ``BOARD_M`` thick).
        distant_light_elevation_deg: None to light the room with the
            ceiling point light; else the elevation of a distant light
            behind the camera that replaces it (``shading.irradiance``).
    """

    name: str
    shared_families: tuple[str, ...]
    depth_only_pairs: tuple[DepthCuePair, ...]
    sofa_pillow_thickness_m: tuple[float, float]
    book_height_fraction: tuple[float, float]
    book_depth_m: tuple[float, float]
    shelf_depth_m: tuple[float, float]
    distant_light_elevation_deg: float | None


#: Bed geometry (both variants, ``furniture.add_bed``): the headboard's front
#: is 6 cm from the wall; pillows stand 8-15 cm from the wall and are 30-40 cm
#: deep, so their front face is 32-49 cm in front of the headboard.
BED_HEADBOARD_M = 0.06
BED_PILLOW_WALL_GAP_M = (0.08, 0.15)
BED_PILLOW_DEPTH_M = (0.3, 0.4)
#: Book spines stand this far (metres) behind the front edge of the boards.
BOOK_RECESS_M = (0.01, 0.03)

_SOFA_PILLOW_THICKNESS_M = (0.25, 0.35)
_SHELF_DEPTH_M = (0.32, 0.40)

DEPTH_CUE_PAIRS = (
    DepthCuePair(
        ('pillow', 'sofa'), 'upholstery', _SOFA_PILLOW_THICKNESS_M,
        'pillow front face vs the backrest it leans on, seen beside the '
        'pillows; the pillow sits on the seat (contact edge, no step)'),
    DepthCuePair(
        ('pillow', 'bed'), 'upholstery',
        (BED_PILLOW_WALL_GAP_M[0] + BED_PILLOW_DEPTH_M[0] - BED_HEADBOARD_M,
         BED_PILLOW_WALL_GAP_M[1] + BED_PILLOW_DEPTH_M[1] - BED_HEADBOARD_M),
        'pillow front face vs the headboard behind it, and pillow top vs '
        'the mattress seen farther away beside it; the pillow lies on the '
        'mattress (contact edge, no step)'),
    DepthCuePair(
        ('books', 'bookshelf'), 'shelf',
        (_SHELF_DEPTH_M[0] - BOARD_M - BOOK_RECESS_M[1],
         _SHELF_DEPTH_M[1] - BOARD_M - BOOK_RECESS_M[0]),
        'book spines vs the back panel, seen between and above the books; '
        'the books stand on the boards (contact edge, no step)'),
)

VARIANTS = {
    'rooms': Variant(
        name='rooms', shared_families=(), depth_only_pairs=(),
        sofa_pillow_thickness_m=(0.12, 0.2),
        book_height_fraction=(0.6, 0.95), book_depth_m=(0.15, 0.22),
        shelf_depth_m=(0.28, 0.38), distant_light_elevation_deg=None),
    'depth-cue': Variant(
        name='depth-cue', shared_families=('upholstery', 'shelf'),
        depth_only_pairs=DEPTH_CUE_PAIRS,
        sofa_pillow_thickness_m=_SOFA_PILLOW_THICKNESS_M,
        book_height_fraction=(0.5, 0.8), book_depth_m=(0.12, 0.18),
        shelf_depth_m=_SHELF_DEPTH_M, distant_light_elevation_deg=50.0),
}

VARIANT_NAMES = tuple(VARIANTS)


def get_variant(name: str) -> Variant:
    """The ``Variant`` called ``name``; a clear error for an unknown one."""
    try:
        return VARIANTS[name]
    except (KeyError, TypeError):
        raise ValueError(f'unknown synthetic variant {name!r}; expected one '
                         f'of {list(VARIANTS)}') from None
