from .bilinear_resize import (bilinear_resize, bilinear_resize_sum,
                              interpolation_matrix)

__all__ = ['bilinear_resize', 'bilinear_resize_sum', 'interpolation_matrix']
