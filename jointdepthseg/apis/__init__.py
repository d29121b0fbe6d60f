"""Inference: :func:`init_model`, then :func:`inference` gives labels, depth
and probabilities."""
from .inference import JointPrediction, inference, init_model

__all__ = ['JointPrediction', 'inference', 'init_model']
