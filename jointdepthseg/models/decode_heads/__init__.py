from .depth_bin_head import DepthBinHead, bin_logits_to_depth
from .multiscale_seg_head import MultiScaleSegHead

__all__ = ['DepthBinHead', 'MultiScaleSegHead', 'bin_logits_to_depth']
