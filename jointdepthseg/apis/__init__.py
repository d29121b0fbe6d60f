"""Inference: :func:`init_model`, then :func:`inference` gives labels, depth
and probabilities; :func:`dense_crf` refines probabilities as pydensecrf
does."""
from .dense_crf import dense_crf
from .inference import JointPrediction, inference, init_model

__all__ = ['JointPrediction', 'dense_crf', 'inference', 'init_model']
