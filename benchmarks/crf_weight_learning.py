"""Do the CRF's per-class-pair kernel weights learn which pairs each serves?

On the toy scene of ``tests/helpers/toy_scenes.py`` (a sofa
and a pillow of the very same colour, 0.5 m apart in depth, in front of a
wall) only the depth kernel can tell pillow from sofa.  We train the CRF's
weights alone (fixed noisy unaries, fresh scene every step, Adam) and print,
for the pillow/sofa pair and for the other pairs, w(1), w(2), mu and the
share of the depth kernel, for two parametrisations:

- ``free``: mu and w(1..3) free, A_m = mu * w(m) (the parametrisation before the shared-total one);
- ``shared-total``: mu free, w(m) = W * softmax over kernels (now).

It also prints the correlation between the kernels' gradients and the mean
|grad| of mu and w at the start, which is what made the free weights stall.

    python benchmarks/crf_weight_learning.py [--steps 150] [--lr 0.05]
"""
from __future__ import annotations

import argparse
import os.path as osp
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from jointdepthseg.models.refiners import DenseCRF  # noqa: E402
from tests.helpers.toy_scenes import (  # noqa: E402
    NUM_CLASSES, PILLOW, SOFA, depth_only_scene)

THETAS = dict(theta_alpha=20., theta_beta=10., theta_gamma=8.,
              theta_zeta=0.2, theta_tau=2.)


class FreeWeightsCRF(DenseCRF):
    """The earlier parametrisation: mu and w(1..3) all free."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        initial_weights = DenseCRF.kernel_weights(self)
        for name in self.kernels:
            initial = float(initial_weights[name][0, 0].detach())
            delattr(self, f'weight_logit_{name}')
            self.register_parameter(
                f'weight_{name}', torch.nn.Parameter(
                    torch.full((self.num_classes, self.num_classes), initial)))

    def kernel_weights(self) -> dict:
        return {name: getattr(self, f'weight_{name}') for name in self.kernels}


def build(kind: str) -> DenseCRF:
    cls = FreeWeightsCRF if kind == 'free' else DenseCRF
    return cls(num_classes=NUM_CLASSES, num_iters=5, filter_mode='exact',
               **THETAS)


def pair_summary(crf: DenseCRF) -> dict:
    """Mean w(1), w(2), mu over the pillow/sofa pair (both orders) and over
    all other off-diagonal pairs."""
    weights = {k: v.detach() for k, v in crf.kernel_weights().items()}
    mu = crf.compatibility.detach()
    pair = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.bool)
    pair[PILLOW, SOFA] = pair[SOFA, PILLOW] = True
    other = ~pair & ~torch.eye(NUM_CLASSES, dtype=torch.bool)
    share = weights['depth'] / sum(weights.values())
    return {group: dict(w1=float(weights['appearance'][mask].mean()),
                        w2=float(weights['depth'][mask].mean()),
                        mu=float(mu[mask].mean()),
                        depth_share=float(share[mask].mean()))
            for group, mask in (('pillow/sofa', pair), ('other', other))}


def gradient_statistics(crf: DenseCRF, generator: torch.Generator) -> dict:
    """Correlation of the kernels' weight gradients (off-diagonal entries)
    and mean |grad| of mu and w on one batch of 4 scenes."""
    crf.zero_grad()
    loss = 0.
    for _ in range(4):
        image, depth, unary, labels = depth_only_scene(generator=generator)
        loss = loss + F.cross_entropy(crf(unary, image, depth), labels) / 4
    loss.backward()
    off = ~torch.eye(NUM_CLASSES, dtype=torch.bool)
    grads = {name: param.grad[off] for name, param in crf.named_parameters()}
    w_names = [n for n in grads if n != 'compatibility']
    corr = torch.corrcoef(torch.stack([grads[n] for n in w_names]))
    return dict(corr_w1_w2=float(corr[0, 1]),
                mean_abs_grad_mu=float(grads['compatibility'].abs().mean()),
                mean_abs_grad_w=float(torch.stack(
                    [grads[n] for n in w_names]).abs().mean()))


def train(kind: str, steps: int, lr: float, seed: int) -> tuple:
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    crf = build(kind)
    stats = gradient_statistics(crf, generator)
    optimizer = torch.optim.Adam(crf.parameters(), lr=lr)
    for _ in range(steps):
        optimizer.zero_grad()
        image, depth, unary, labels = depth_only_scene(generator=generator)
        F.cross_entropy(crf(unary, image, depth), labels).backward()
        optimizer.step()
    return stats, pair_summary(crf), evaluate(crf, seed + 1000)


@torch.no_grad()
def evaluate(crf: DenseCRF, seed: int, count: int = 20) -> float:
    """Pillow IoU (%) of the CRF's labels on fresh scenes."""
    generator = torch.Generator().manual_seed(seed)
    inter = union = 0
    for _ in range(count):
        image, depth, unary, labels = depth_only_scene(generator=generator)
        pred = crf(unary, image, depth).argmax(1)
        inter += int(((pred == PILLOW) & (labels == PILLOW)).sum())
        union += int(((pred == PILLOW) | (labels == PILLOW)).sum())
    return 100. * inter / max(union, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--steps', type=int, default=150,
                        help='Adam steps (one scene each)')
    parser.add_argument('--lr', type=float, default=0.05,
                        help='Adam learning rate of mu and of the w logits')
    parser.add_argument('--seed', type=int, default=0, help='random seed')
    args = parser.parse_args()
    print('| parametrisation | grad corr w(1),w(2) | mean abs grad mu | '
          'mean abs grad w | group | w(1) | w(2) | mu | depth share | '
          'pillow IoU % |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for kind in ('free', 'shared-total'):
        start = time.time()
        stats, summary, iou = train(kind, args.steps, args.lr, args.seed)
        for group, values in summary.items():
            print(f'| {kind} | {stats["corr_w1_w2"]:.2f} | '
                  f'{stats["mean_abs_grad_mu"]:.1e} | '
                  f'{stats["mean_abs_grad_w"]:.1e} | {group} | '
                  f'{values["w1"]:.2f} | {values["w2"]:.2f} | '
                  f'{values["mu"]:.2f} | {values["depth_share"]:.2f} | '
                  f'{iou:.1f} |')
        print(f'<!-- {kind}: {time.time() - start:.0f} s -->')


if __name__ == '__main__':
    main()
