from .multiscale_net import MultiScaleNet

__all__ = ['MultiScaleNet']
