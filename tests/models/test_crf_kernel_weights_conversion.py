"""Old checkpoints' free CRF weights -> (mu, logits) of kernel_weights.py:
weights below 1 convert exactly, a zero or negative weight is refused
(its logit would be -inf). Expected values by hand."""
import math

import pytest
import torch

from jointdepthseg.models.refiners import DenseCRF
from jointdepthseg.models.refiners.kernel_weights import \
    logits_from_kernel_weights

MU = [[0.0, 1.5], [-2.0, 0.25]]
FREE = [[[0.2, 0.5], [0.9, 0.3]],    # w(1), all below 1
        [[0.4, 0.05], [0.6, 0.7]],   # w(2)
        [[0.1, 0.25], [0.3, 0.95]]]  # w(3)


def test_weights_below_one_convert_by_hand():
    mu, logits = logits_from_kernel_weights(
        torch.tensor(MU, dtype=torch.float64),
        [torch.tensor(w, dtype=torch.float64) for w in FREE], 14.0)
    for i in range(2):
        for j in range(2):
            pair_sum = sum(w[i][j] for w in FREE)
            assert mu[i, j].item() == pytest.approx(
                MU[i][j] * pair_sum / 14.0, rel=1e-12, abs=1e-15)
            for m in range(3):
                assert logits[m][i, j].item() == pytest.approx(
                    math.log(FREE[m][i][j]), rel=1e-12)


def test_a_crf_loaded_from_weights_below_one_keeps_every_product():
    crf = DenseCRF(2, filter_mode='exact')
    crf.load_state_dict({
        'compatibility': torch.tensor(MU),
        'weight_appearance': torch.tensor(FREE[0]),
        'weight_depth': torch.tensor(FREE[1]),
        'weight_smooth': torch.tensor(FREE[2])})
    weights = crf.kernel_weights()
    for m, name in enumerate(('appearance', 'depth', 'smooth')):
        product = (crf.compatibility * weights[name]).detach()
        for i in range(2):
            for j in range(2):
                assert product[i, j].item() == pytest.approx(
                    MU[i][j] * FREE[m][i][j], rel=1e-5, abs=1e-7)


@pytest.mark.parametrize('bad', [0.0, -0.5])
def test_zero_or_negative_free_weight_is_refused(bad):
    free = [torch.tensor(w) for w in FREE]
    free[1][0, 1] = bad
    with pytest.raises(ValueError, match='must all be > 0'):
        logits_from_kernel_weights(torch.tensor(MU), free, 14.0)
