"""The paper's pipeline end to end on the embedded synthetic rooms (`make demo`).

Generates the synthetic dataset (``--variant rooms``, or ``depth-cue`` where
some class pairs share their material so that only depth separates them),
trains stage 1 (semantics), a no-depth control, stage 2 (joint, from stage 1),
stage 3 (CRF with depth, from stage 2) and the CRF without its depth kernel
(with ``--rgbd`` also the CRF on the measured depth, as tools/ablation.py
does), tests each, and writes one report in the layout of the paper's
Tables 2 and 3, the Fig. 2-4 pictures and ``summary.json`` (the mIoUs
tools/ablation.py reduces over seeds) into one folder. Everything runs in
this one process, each stage through mmengine's Runner; the stages are the
table in ``tools/experiments/stages.py``. Re-running reuses what is already
done (the data, finished stages, finished tests).

    python tools/demo.py [--variant depth-cue] [--seed 0] [--out DIR] [--rgbd]
"""
from __future__ import annotations

import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if ROOT not in sys.path:  # tools.experiments, when run as a script
    sys.path.insert(0, ROOT)

from tools.experiments.demo_options import build_parser  # noqa: E402
from tools.experiments.demo_options import parse_demo_args  # noqa: E402


def parse_args(argv=None):
    """The demo's options (``tools/experiments/demo_options.py``)."""
    return parse_demo_args(argv, build_parser(__doc__.splitlines()[0]))


def main(argv=None) -> dict:
    """Run the demo; a user's mistake or a failed stage exits with one line.
    """
    args = parse_args(argv)
    from tools.experiments.demo_pipeline import run_demo
    from tools.experiments.stage_runner import StageFailed
    try:
        return run_demo(args)
    except (ValueError, StageFailed) as error:
        raise SystemExit(f'demo: error: {error}') from None


if __name__ == '__main__':
    main()
