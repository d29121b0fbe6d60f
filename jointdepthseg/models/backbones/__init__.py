from .multiscale_net import MultiScaleNet
from .vgg16_mapping import VGG16MappingError, vgg16_to_multiscale_net

__all__ = ['MultiScaleNet', 'VGG16MappingError', 'vgg16_to_multiscale_net']
