"""The demo's stage table and claims: consistent with each other and with
the configs they name."""
import os.path as osp

import pytest
from mmengine.config import Config

from tools.experiments.stages import (CLAIMS, CRF_STAGES_PRINTED,
                                      DEMO_STAGES, FIG4_STAGE, IMAGE_SIZE,
                                      Stage, check_stage_table,
                                      selected_stages)

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))))
NAMES = [stage.name for stage in DEMO_STAGES]


def test_the_demo_table_runs_in_order():
    check_stage_table(DEMO_STAGES)
    assert NAMES[0] == 'stage1_sem' and DEMO_STAGES[0].parent is None
    assert {FIG4_STAGE, *CRF_STAGES_PRINTED} <= set(NAMES)


@pytest.mark.parametrize('stages, message', [
    ((Stage('a', 'a.py', None, 'A'), Stage('a', 'b.py', None, 'B')),
     "stage 'a' is declared twice"),
    ((Stage('b', 'b.py', 'a', 'B'), Stage('a', 'a.py', None, 'A')),
     "stage 'b' starts from 'a', which is not an earlier stage"),
])
def test_bad_tables_are_refused(stages, message):
    with pytest.raises(ValueError, match=message):
        check_stage_table(stages)


def test_rgbd_stage_only_with_the_flag():
    assert [s.name for s in selected_stages(True)] == NAMES
    assert [s.name for s in selected_stages(False)] == [
        name for name in NAMES if name != 'stage3_crf_rgbd']
    check_stage_table(selected_stages(False))


@pytest.mark.parametrize('stage', DEMO_STAGES, ids=NAMES)
def test_configs_exist_at_the_demo_size(stage):
    cfg = Config.fromfile(osp.join(ROOT, stage.config))
    assert tuple(cfg.model.data_preprocessor.size) == IMAGE_SIZE
    # a stage with a parent is trained from it (the stage table says so)
    assert stage.parent is None or cfg.get('load_from') is not None


def test_claims_compare_runs_of_the_table():
    crf_stages = {stage.name for stage in DEMO_STAGES
                  if Config.fromfile(osp.join(ROOT, stage.config)
                                     ).model.get('refiner')}
    for claim in CLAIMS:
        for field, run in (claim.minuend, claim.subtrahend):
            assert run in NAMES, claim
            assert field in ('miou', 'unary_miou'), claim
            # only a CRF stage has unaries apart from its output
            assert field == 'miou' or run in crf_stages, claim
    assert len({claim.key for claim in CLAIMS}) == len(CLAIMS)
