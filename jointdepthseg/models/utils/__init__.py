from .bilinear_resize import bilinear_resize, interpolation_matrix

__all__ = ['bilinear_resize', 'interpolation_matrix']
