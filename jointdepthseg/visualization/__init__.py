"""Figures of the paper (Fig. 2, 3, 4) and the test-time hook writing them."""
from .figures import (colorize_labels, fig2_joint_prediction,
                      fig3_crf_comparison)
from .crf_weights import plot_crf_weights
from .visualization_hook import JointVisualizationHook

__all__ = [
    'colorize_labels', 'fig2_joint_prediction', 'fig3_crf_comparison',
    'JointVisualizationHook', 'plot_crf_weights'
]
