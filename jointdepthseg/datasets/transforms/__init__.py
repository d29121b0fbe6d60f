from .augment_transforms import RandomZoomCrop
from .depth_targets import DepthTrainingTarget, make_depth_training_target
from .formatting import PackJointSegInputs
from .loading import LoadNYUAnnotations

__all__ = [
    'DepthTrainingTarget', 'LoadNYUAnnotations', 'PackJointSegInputs',
    'RandomZoomCrop', 'make_depth_training_target'
]
