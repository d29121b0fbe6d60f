"""The demo as data: its runs (stages) and the claims its ablation tests.

A stage is one training run and its test: a name (the folders
``OUT/work/NAME``, ``OUT/results/NAME``, ``OUT/figures/NAME``), a config, the
stage whose final checkpoint it starts from (its ``load_from``) and its row
in the report. A claim is a paired difference between two runs of one seed.
Everything else (the report's rows, ``load_from``, ``summary.json``, the
ablation's differences) is derived from these two tables.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

#: Input size of the synthetic configs (``model.data_preprocessor.size``,
#: (H, W) pixels): the demo generates its rooms at this size.
IMAGE_SIZE = (120, 160)


@dataclass(frozen=True)
class Stage:
    """One run of the demo.

    Attributes:
        name: run name; also its folders under the demo's ``--out``.
        config: config file, relative to the repository.
        parent: the stage whose final checkpoint this one loads
            (``load_from``); None trains from the config's initialisation.
        row: the report's row label.
        rgbd: only with ``--rgbd`` (the CRF on the measured depth).
    """

    name: str
    config: str
    parent: Optional[str]
    row: str
    rgbd: bool = False


DEMO_STAGES = (
    Stage('stage1_sem', 'configs/synthetic/stage1_sem.py', None,
          'Unary-Sem'),
    # not in the paper: stage 1 trained as long again as stage 2, no depth
    Stage('stage2_sem_control', 'configs/synthetic/stage2_sem_control.py',
          'stage1_sem', 'Unary-Sem (same iterations, no depth)'),
    Stage('stage2_joint', 'configs/synthetic/stage2_joint.py', 'stage1_sem',
          'Unary-Sem+Depth'),
    Stage('stage3_crf_nodepth', 'configs/synthetic/stage3_crf_nodepth.py',
          'stage2_joint', 'Sem-CRF'),
    Stage('stage3_crf', 'configs/synthetic/stage3_crf.py', 'stage2_joint',
          'Sem-CRF+'),
    # not in the paper's table: the CRF's depth from the Kinect-like depth;
    # about 1.5 min more on 2 cores, so `make demo` leaves it out and the
    # ablation (--rgbd) reports it
    Stage('stage3_crf_rgbd', 'configs/synthetic/stage3_crf_rgbd.py',
          'stage2_joint', 'RGB-D Sem-CRF+', rgbd=True),
)
#: The report's baseline for the multi-task gain (a stage's row).
BASELINE_ROW = 'Unary-Sem'
#: The stage whose CRF Fig. 4 draws.
FIG4_STAGE = 'stage3_crf'


@dataclass(frozen=True)
class Claim:
    """A paired difference that carries one of the paper's claims.

    Attributes:
        key: name in ablation.json.
        label: how the report names it.
        minuend, subtrahend: ``(field, run)``; field ``'miou'`` (the run's
            output) or ``'unary_miou'`` (its unaries, before the CRF).
    """

    key: str
    label: str
    minuend: tuple[str, str]
    subtrahend: tuple[str, str]


CLAIMS = (
    Claim('depth_in_unaries', 'Unary-Sem+Depth − control (no depth)',
          ('miou', 'stage2_joint'), ('miou', 'stage2_sem_control')),
    Claim('depth_kernel', 'Sem-CRF+ − Sem-CRF',
          ('miou', 'stage3_crf'), ('miou', 'stage3_crf_nodepth')),
    Claim('measured_depth', 'RGB-D Sem-CRF+ − Sem-CRF+',
          ('miou', 'stage3_crf_rgbd'), ('miou', 'stage3_crf')),
    Claim('crf_nodepth_over_unaries', 'Sem-CRF − its unaries',
          ('miou', 'stage3_crf_nodepth'),
          ('unary_miou', 'stage3_crf_nodepth')),
    Claim('crf_over_unaries', 'Sem-CRF+ − its unaries',
          ('miou', 'stage3_crf'), ('unary_miou', 'stage3_crf')),
    Claim('crf_rgbd_over_unaries', 'RGB-D Sem-CRF+ − its unaries',
          ('miou', 'stage3_crf_rgbd'), ('unary_miou', 'stage3_crf_rgbd')),
)
#: The runs whose depth-only classes' IoU the demo prints.
CRF_STAGES_PRINTED = ('stage3_crf_nodepth', 'stage3_crf')


def selected_stages(rgbd: bool, stages: Sequence[Stage] = DEMO_STAGES
                    ) -> tuple[Stage, ...]:
    """The stages a demo run trains: all with ``rgbd``, else the others."""
    return tuple(stage for stage in stages if rgbd or not stage.rgbd)


def check_stage_table(stages: Sequence[Stage]) -> None:
    """Raise ValueError unless names are unique and every parent is an
    earlier stage (so running the table in order has every checkpoint)."""
    seen: set[str] = set()
    for stage in stages:
        if stage.name in seen:
            raise ValueError(f'stage {stage.name!r} is declared twice')
        if stage.parent is not None and stage.parent not in seen:
            raise ValueError(f'stage {stage.name!r} starts from '
                             f'{stage.parent!r}, which is not an earlier '
                             'stage')
        seen.add(stage.name)
