from .depth_targets import DepthTrainingTarget, make_depth_training_target
from .loading import LoadNYUAnnotations

__all__ = [
    'DepthTrainingTarget', 'LoadNYUAnnotations', 'make_depth_training_target'
]
