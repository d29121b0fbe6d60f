"""Materials and the appearance families they are drawn from.

A *family* is a random distribution of materials (colour, texture, scale).
Every class draws its materials from a fixed family, and some class pairs
deliberately draw from the **same** family, so that colour and texture alone
cannot tell them apart and only geometry (depth) can -- the confusions the
paper resolves with depth (Sec. 1 and 4.3: pillow vs sofa, book vs bookshelf):

============================  =========================================
family                        classes that use it
============================  =========================================
``upholstery``                sofa, bed, **pillow**
``paint``                     wall, **picture**, **whiteboard**
``shelf``                     bookshelf, **books**
``floor``                     floor, **floor mat**
``wood``                      table, desk, cabinet, night stand
``door``                      door
``chair``                     chair
``ceiling``                   ceiling
``frame`` / ``glass``         window frame / window pane
``screen``                    television
``lampshade`` / ``metal``     lamp shade / lamp pole, handles
``clutter``                   small unlabeled objects (label 255)
============================  =========================================

In the ``rooms`` variant each object draws its own sample, so a pillow is not
the same colour as its sofa: it is a colour that could equally have been a
sofa's. The ``depth-cue`` variant draws ``upholstery`` and ``shelf`` once per
image, so a pillow *is* its sofa's material (``variants.py``).
"""
from __future__ import annotations

import colorsys
from dataclasses import dataclass

import numpy as np

#: Side of the square value-noise lattice every material carries.
LATTICE_SIZE = 16

TEXTURES = ('plain', 'wood', 'fabric', 'tiles', 'glass')


@dataclass(frozen=True)
class Material:
    """Appearance of a surface.

    Attributes:
        albedo: (3,) RGB reflectance in [0, 1].
        texture: one of ``TEXTURES`` (evaluated in ``shading.py``).
        amplitude: relative strength of the texture modulation.
        cells_per_m: value-noise lattice cells per metre of surface.
        period_m: stripe period (wood) or tile size (tiles), metres.
        lattice: (16, 16) float32 value noise in [-1, 1].
        emission: radiance added regardless of light (windows, lamp shades).
        ir_absorbing: the Kinect gets no return (glass, screens): raw depth
            has a hole wherever the surface is seen.
    """

    albedo: tuple[float, float, float]
    texture: str
    amplitude: float
    cells_per_m: float
    period_m: float
    lattice: np.ndarray
    emission: float = 0.0
    ir_absorbing: bool = False


def _hsv(rng: np.random.Generator, hue, sat, val) -> tuple[float, ...]:
    """RGB of a colour drawn uniformly from HSV ranges ``(lo, hi)``."""
    return colorsys.hsv_to_rgb(rng.uniform(*hue) % 1.0, rng.uniform(*sat),
                               rng.uniform(*val))


def _material(rng: np.random.Generator, albedo, texture: str,
              amplitude: float, cells_per_m: float, period_m: float = 0.1,
              emission: float = 0.0, ir_absorbing: bool = False) -> Material:
    lattice = rng.uniform(-1.0, 1.0, (LATTICE_SIZE, LATTICE_SIZE))
    return Material(tuple(float(c) for c in albedo), texture, amplitude,
                    cells_per_m, period_m, lattice.astype(np.float32),
                    emission, ir_absorbing)


def _wood(rng: np.random.Generator, val=(0.3, 0.65)) -> Material:
    return _material(rng, _hsv(rng, (0.05, 0.11), (0.35, 0.7), val), 'wood',
                     rng.uniform(0.12, 0.25), rng.uniform(3, 8),
                     rng.uniform(0.02, 0.06))


def _paint(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.03, 0.35), (0.6, 0.95)),
                     'plain', rng.uniform(0.03, 0.08), rng.uniform(2, 5))


def _ceiling(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.0, 0.06), (0.82, 0.95)),
                     'plain', 0.03, 2.0)


def _floor(rng):
    kind = rng.integers(3)
    if kind == 0:
        return _wood(rng, val=(0.35, 0.7))
    if kind == 1:  # carpet
        return _material(rng, _hsv(rng, (0.0, 1.0), (0.1, 0.5), (0.3, 0.7)),
                         'fabric', rng.uniform(0.08, 0.15),
                         rng.uniform(20, 40))
    return _material(rng, _hsv(rng, (0.05, 0.15), (0.0, 0.2), (0.55, 0.85)),
                     'tiles', rng.uniform(0.05, 0.1), rng.uniform(3, 6),
                     rng.uniform(0.3, 0.6))


def _upholstery(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.2, 0.7), (0.3, 0.8)),
                     'fabric', rng.uniform(0.08, 0.18), rng.uniform(25, 50))


def _shelf(rng):
    if rng.random() < 0.5:
        return _wood(rng)
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.3, 0.8), (0.3, 0.85)),
                     'plain', rng.uniform(0.04, 0.1), rng.uniform(5, 15))


def _door(rng):
    if rng.random() < 0.6:
        return _wood(rng, val=(0.25, 0.5))
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.3, 0.6), (0.35, 0.6)),
                     'plain', 0.04, 4.0)


def _chair(rng):
    return _material(rng, _hsv(rng, (0.55, 0.7), (0.0, 0.5), (0.04, 0.3)),
                     'plain', rng.uniform(0.05, 0.12), rng.uniform(10, 30))


def _frame(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.0, 0.05), (0.85, 0.97)),
                     'plain', 0.02, 5.0)


def _glass(rng):
    return _material(rng, _hsv(rng, (0.55, 0.62), (0.05, 0.3), (0.8, 1.0)),
                     'glass', rng.uniform(0.1, 0.25), rng.uniform(1, 3),
                     emission=rng.uniform(0.5, 0.9), ir_absorbing=True)


def _screen(rng):
    return _material(rng, _hsv(rng, (0.55, 0.7), (0.0, 0.3), (0.02, 0.06)),
                     'plain', 0.05, 3.0, ir_absorbing=True)


def _lampshade(rng):
    return _material(rng, _hsv(rng, (0.08, 0.15), (0.05, 0.35), (0.85, 1.0)),
                     'fabric', 0.05, 40.0, emission=rng.uniform(0.3, 0.6))


def _metal(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.0, 0.05), (0.3, 0.75)),
                     'plain', 0.02, 10.0)


def _clutter(rng):
    return _material(rng, _hsv(rng, (0.0, 1.0), (0.3, 1.0), (0.2, 1.0)),
                     'plain', rng.uniform(0.2, 0.5), rng.uniform(10, 40))


FAMILIES = dict(paint=_paint, ceiling=_ceiling, floor=_floor,
                upholstery=_upholstery, shelf=_shelf, wood=_wood, door=_door,
                chair=_chair, frame=_frame, glass=_glass, screen=_screen,
                lampshade=_lampshade, metal=_metal, clutter=_clutter)


def sample_material(rng: np.random.Generator, family: str) -> Material:
    """Draw one material from an appearance family (see module docstring)."""
    try:
        sampler = FAMILIES[family]
    except KeyError:
        raise ValueError(f'unknown appearance family {family!r}; expected '
                         f'one of {sorted(FAMILIES)}') from None
    return sampler(rng)
