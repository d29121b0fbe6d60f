"""Registered evaluation metrics (mmseg ``METRICS``)."""
from .depth_estimation_metric import DepthEstimationMetric
from .semantic_seg_metric import SemanticSegMetric

__all__ = ['DepthEstimationMetric', 'SemanticSegMetric']
