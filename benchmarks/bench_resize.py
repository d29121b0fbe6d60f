"""bilinear_resize (two matrix products) against F.interpolate (bilinear).

The heads upsample each branch's class / bin scores to the input size
(``BranchClassifiers``). On CPUs PyTorch's backward of ``upsample_bilinear2d``
was the largest single cost of a training step of the synthetic demo's joint
model (46 % of it, measured with torch.profiler). This prints, per shape, the
median forward+backward time of both and their ratio, side by side in one run:

    python benchmarks/bench_resize.py [--device cpu] [--repeats 7]
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn.functional as F

# (B, C, H_in, W_in) -> (H_out, W_out): the demo's branches (1/8 width net at
# 120x160, 40 classes / 50 bins, batch 8) and NYU's 480x640 from 1/8.
SHAPES = [((8, 40, 15, 20), (120, 160)), ((8, 40, 30, 40), (120, 160)),
          ((8, 50, 60, 80), (120, 160)), ((8, 50, 8, 10), (120, 160)),
          ((8, 40, 60, 80), (480, 640))]


def interpolate(maps, size):
    return F.interpolate(maps, size, mode='bilinear', align_corners=False)


def median_seconds(function, maps, size, repeats: int, device) -> float:
    times = []
    for index in range(repeats + 1):
        if device.type == 'cuda':
            torch.cuda.synchronize()
        start = time.perf_counter()
        function(maps, size).sum().backward()
        if device.type == 'cuda':
            torch.cuda.synchronize()
        if index:  # the first call warms up
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--repeats', type=int, default=7)
    args = parser.parse_args()
    from jointdepthseg.models.utils import bilinear_resize
    device = torch.device(args.device)
    print(f'{platform.machine()}, {torch.get_num_threads()} threads, torch '
          f'{torch.__version__}, {device}, median of {args.repeats}')
    print('| input (B, C, H, W) | output | F.interpolate fwd+bwd (ms) | '
          'bilinear_resize (ms) | ratio |')
    print('|---|---|---|---|---|')
    for shape, size in SHAPES:
        maps = torch.randn(shape, device=device, requires_grad=True)
        reference = median_seconds(interpolate, maps, size, args.repeats,
                                   device)
        ours = median_seconds(bilinear_resize, maps, size, args.repeats,
                              device)
        print(f'| {shape} | {size} | {1e3 * reference:.1f} | '
              f'{1e3 * ours:.1f} | {reference / ours:.2f}x |')


if __name__ == '__main__':
    main()
