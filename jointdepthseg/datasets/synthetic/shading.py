"""RGB of the synthetic rooms: procedural textures, Lambert shading, noise.

No cast shadows and no inter-reflection: a pixel's radiance is its albedo
times (ambient + a point light at the ceiling with Lambert's cosine law and a
distance fall-off + a weak light at the camera), plus the material's
emission. ``depth-cue`` scenes replace the point light by a distant light
behind the camera, so that faces with the same normal get the same light.
The image then gets an automatic exposure, a white-balance gain, vignetting
and read + shot noise, and is quantised to 8 bits.
"""
from __future__ import annotations

import numpy as np

from .appearance import Material
from .raycast import RayHits
from .scene import Scene

#: A distant light is as bright as the point light this far away, metres.
DISTANT_LIGHT_DISTANCE_M = 2.5

#: In-plane world axes used as texture coordinates, per face-normal axis.
_TEXTURE_AXES = ((2, 1), (0, 2), (0, 1))


def lattice_noise(lattice: np.ndarray, s: np.ndarray, t: np.ndarray
                  ) -> np.ndarray:
    """Smooth value noise: bilinear (smoothstep) lookup in a wrapping lattice.

    Args:
        lattice: (L, L) values in [-1, 1].
        s, t: (N,) coordinates in lattice cells.

    Returns:
        (N,) values in [-1, 1].
    """
    size = lattice.shape[0]
    s0, t0 = np.floor(s), np.floor(t)
    fs, ft = s - s0, t - t0
    fs, ft = fs * fs * (3 - 2 * fs), ft * ft * (3 - 2 * ft)
    i0 = s0.astype(np.int64) % size
    j0 = t0.astype(np.int64) % size
    i1, j1 = (i0 + 1) % size, (j0 + 1) % size
    top = lattice[i0, j0] * (1 - fs) + lattice[i1, j0] * fs
    bottom = lattice[i0, j1] * (1 - fs) + lattice[i1, j1] * fs
    return top * (1 - ft) + bottom * ft


def texture_modulation(material: Material, s: np.ndarray, t: np.ndarray
                       ) -> np.ndarray:
    """Multiplicative texture factor (around 1) at surface coordinates.

    Args:
        material: the surface material.
        s, t: (N,) in-plane surface coordinates, metres.

    Returns:
        (N,) float factor, >= 0.
    """
    cells = material.cells_per_m
    noise = lattice_noise(material.lattice, s * cells, t * cells)
    amp = material.amplitude
    if material.texture == 'wood':
        phase = t / material.period_m + 1.5 * lattice_noise(
            material.lattice.T, s * cells * 0.25, t * cells)
        pattern = 0.6 * np.sin(2 * np.pi * phase) + 0.4 * noise
    elif material.texture == 'fabric':
        weave = np.sin(np.pi * s * cells) * np.sin(np.pi * t * cells)
        pattern = 0.7 * noise + 0.3 * weave
    elif material.texture == 'tiles':
        grout = ((np.mod(s / material.period_m, 1.0) < 0.03)
                 | (np.mod(t / material.period_m, 1.0) < 0.03))
        pattern = noise - grout * (0.4 / max(amp, 1e-6))
    elif material.texture in ('plain', 'glass'):
        pattern = noise
    else:
        raise ValueError(f'unknown texture {material.texture!r}')
    return np.clip(1.0 + amp * pattern, 0.0, None)


def surface_albedo(hits: RayHits, scene: Scene, points: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Textured albedo and emission of every hit pixel.

    Args:
        hits: ray-cast result.
        scene: the scene (primitives and materials).
        points: (H, W, 3) world hit points, metres.

    Returns:
        ``(albedo, emission)``: (H, W, 3) RGB reflectance in [0, 1] and
        (H, W) emitted radiance (0 where nothing is hit).
    """
    shape = hits.depth.shape
    albedo = np.zeros(shape + (3,))
    emission = np.zeros(shape)
    material_of = np.array([p.material for p in scene.primitives] + [-1])
    material_map = material_of[hits.index]  # index -1 -> the appended -1
    axis = hits.axis
    s = np.choose(axis, [points[..., a] for a, _ in _TEXTURE_AXES])
    t = np.choose(axis, [points[..., b] for _, b in _TEXTURE_AXES])
    for m in np.unique(material_map):
        if m < 0:
            continue
        mask = material_map == m
        material = scene.materials[m]
        factor = texture_modulation(material, s[mask], t[mask])
        albedo[mask] = np.clip(
            np.asarray(material.albedo)[None, :] * factor[:, None], 0, 1)
        emission[mask] = material.emission
    return albedo, emission


def irradiance(points: np.ndarray, normals: np.ndarray,
               view_directions: np.ndarray, light_position: np.ndarray,
               ambient: float, light_power: float,
               light_direction: np.ndarray | None = None) -> np.ndarray:
    """Ambient + ceiling point light (Lambert, fall-off) + camera light.

    Args:
        points: (H, W, 3) world metres.
        normals: (H, W, 3) unit normals facing the camera.
        view_directions: (H, W, 3) unit vectors from the camera to points.
        light_position: (3,) world metres.
        ambient: constant term.
        light_power: point-light strength at 0 m.
        light_direction: if given, (3,) unit vector towards a distant light
            that replaces the point light: Lambert's cosine with this fixed
            direction and the fall-off of the point light at
            ``DISTANT_LIGHT_DISTANCE_M``, the same for every point.

    Returns:
        (H, W) irradiance (arbitrary linear units).
    """
    headlight = 0.15 * np.abs(np.einsum('hwc,hwc->hw', normals,
                                        view_directions))
    if light_direction is not None:
        cos_light = normals @ np.asarray(light_direction, dtype=np.float64)
        falloff = 1.0 / (1.0 + DISTANT_LIGHT_DISTANCE_M ** 2 / 9.0)
        return ambient + light_power * np.clip(cos_light, 0, None) * falloff \
            + headlight
    to_light = light_position - points
    dist2 = np.einsum('hwc,hwc->hw', to_light, to_light)
    cos_light = np.einsum('hwc,hwc->hw', normals, to_light) / np.sqrt(
        np.maximum(dist2, 1e-12))
    falloff = 1.0 / (1.0 + dist2 / 9.0)
    return ambient + light_power * np.clip(cos_light, 0, None) * falloff \
        + headlight


def sensor_image(radiance: np.ndarray, rng: np.random.Generator
                 ) -> np.ndarray:
    """Exposure, white balance, vignetting, noise and 8-bit quantisation.

    Args:
        radiance: (H, W, 3) linear RGB.
        rng: random generator (exposure target, gains, noise).

    Returns:
        (H, W, 3) uint8 RGB.
    """
    height, width = radiance.shape[:2]
    exposure = np.clip(rng.uniform(0.4, 0.55) / max(radiance.mean(), 1e-6),
                       0.6, 2.0)
    gains = rng.uniform(0.92, 1.08, 3)
    rows = (np.arange(height) - (height - 1) / 2) / max(height, 1)
    cols = (np.arange(width) - (width - 1) / 2) / max(width, 1)
    r2 = rows[:, None] ** 2 + cols[None, :] ** 2
    vignette = 1.0 - rng.uniform(0.0, 0.5) * r2
    image = radiance * exposure * gains * vignette[..., None]
    image = np.clip(image, 0, 1)
    read_sigma = rng.uniform(0.004, 0.015)
    noise = rng.standard_normal(image.shape) * np.sqrt(
        read_sigma ** 2 + 0.0004 * image)
    return np.rint(np.clip(image + noise, 0, 1) * 255).astype(np.uint8)


def shade(hits: RayHits, scene: Scene, rng: np.random.Generator) -> dict:
    """Render the RGB image of a ray-cast scene.

    Args:
        hits: ``cast_rays`` result.
        scene: the scene that was cast.
        rng: random generator (lighting strength and sensor).

    Returns:
        dict with ``image`` (H, W, 3) uint8 RGB, ``albedo_luma`` (H, W) mean
        albedo in [0, 1], ``cos_incidence`` (H, W) |cos| between ray and
        normal (0 where nothing is hit).
    """
    finite = np.isfinite(hits.depth)
    depth = np.where(finite, hits.depth, 0.0)
    points = scene.camera.position + depth[..., None] * hits.directions
    view = hits.directions / np.linalg.norm(hits.directions, axis=-1,
                                            keepdims=True)
    normals = hits.normals()
    albedo, emission = surface_albedo(hits, scene, points)
    light = irradiance(points, normals, view, scene.light_position,
                       ambient=rng.uniform(0.25, 0.4),
                       light_power=rng.uniform(0.6, 1.0),
                       light_direction=scene.light_direction)
    radiance = albedo * (light + emission)[..., None]
    return dict(image=sensor_image(radiance, rng),
                albedo_luma=albedo.mean(axis=-1),
                cos_incidence=np.abs(np.einsum('hwc,hwc->hw', normals, view)))
