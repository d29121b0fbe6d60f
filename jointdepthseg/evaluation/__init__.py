"""Evaluation: Table 2 / Table 3 metrics, their formulas, and reports.

Imports neither ``jointdepthseg.models`` nor ``jointdepthseg.datasets``.
"""
from .confusion import confusion_matrix, segmentation_scores
from .depth_errors import (DEPTH_METRIC_NAMES, depth_error_sums,
                           depth_metrics_from_sums, valid_depth_mask)
from .metrics import DepthEstimationMetric, SemanticSegMetric
from .multitask_gain import multitask_gain
from .reports import (compare_runs, read_metrics_json, run_report_markdown,
                      write_metrics_json, write_run_report)

__all__ = [
    'DepthEstimationMetric', 'SemanticSegMetric', 'DEPTH_METRIC_NAMES',
    'valid_depth_mask', 'depth_error_sums', 'depth_metrics_from_sums',
    'confusion_matrix', 'segmentation_scores', 'multitask_gain',
    'compare_runs', 'read_metrics_json', 'run_report_markdown',
    'write_metrics_json', 'write_run_report'
]
