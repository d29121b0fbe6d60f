"""Does sharing the network save computation? (Sec. 3: "a single network handles
both tasks which results in reducing the amount of computation and memory")

Measures forward+backward time and peak memory per image of
- the joint network (one MultiScaleNet, semantic + depth heads), against
- a semantic-only network plus a depth-only network run separately,
at 240x320 and 480x640, and prints the ratio joint / (semantic + depth).

Each measurement runs in its own process so that peak memory is its own:
peak resident memory above the process's baseline on CPU,
``torch.cuda.max_memory_allocated`` on CUDA.

    python benchmarks/bench_network.py [--device cpu|cuda] [--repeats 3]
        [--sizes 240x320 480x640] [--width-mult 1.0]
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VARIANTS = ('joint', 'semantic', 'depth')


def build_network(variant: str, width_mult: float):
    """(backbone, heads): the joint net has both heads on one backbone."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmseg')
    import jointdepthseg  # noqa: F401
    from jointdepthseg.models.backbones.multiscale_net import scale_width
    from mmseg.registry import MODELS
    channels = [scale_width(c, width_mult) for c in (64, 128, 128, 128, 1024)]
    head_cfgs = dict(
        semantic=dict(type='MultiScaleSegHead', in_channels=channels,
                      num_classes=40),
        depth=dict(type='DepthBinHead', in_channels=channels))
    names = ('semantic', 'depth') if variant == 'joint' else (variant,)
    backbone = MODELS.build(dict(type='MultiScaleNet', width_mult=width_mult))
    heads = {name: MODELS.build(head_cfgs[name]) for name in names}
    return backbone, heads


def measure_one(variant: str, height: int, width: int, repeats: int,
                device: str, width_mult: float) -> dict:
    """Runs in a child process; returns seconds and peak MiB per image."""
    import torch
    torch.manual_seed(0)
    backbone, heads = build_network(variant, width_mult)
    modules = torch.nn.ModuleList([backbone, *heads.values()]).to(device)
    modules.train()
    image = torch.randn(1, 3, height, width, device=device)
    labels = torch.randint(0, 40, (1, height, width), device=device)
    depth_gt = torch.rand(1, 1, height, width, device=device) * 6 + 0.5

    def step():
        features = backbone(image)
        loss = 0
        if 'semantic' in heads:
            loss = loss + torch.nn.functional.cross_entropy(
                heads['semantic'](features), labels)
        if 'depth' in heads:
            head = heads['depth']
            depth = head.logits_to_depth(head(features))
            loss = loss + head.loss_decode(depth, depth_gt)
        loss.backward()
        modules.zero_grad(set_to_none=True)

    def sync():
        if device == 'cuda':
            torch.cuda.synchronize()

    baseline_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    step()  # warm-up
    sync()
    if device == 'cuda':
        torch.cuda.reset_peak_memory_stats()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        step()
        sync()
        times.append(time.perf_counter() - start)
    if device == 'cuda':
        peak_mib = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss -
                    baseline_kib) / 1024
    return dict(seconds=min(times), peak_mib=peak_mib)


def measure_in_child(args, variant: str, size: tuple) -> dict:
    command = [sys.executable, os.path.abspath(__file__), '--child', variant,
               f'{size[0]}x{size[1]}', '--repeats', str(args.repeats),
               '--device', args.device, '--width-mult', str(args.width_mult)]
    out = subprocess.run(command, capture_output=True, text=True, check=False,
                         env=dict(os.environ, PYTHONPATH=os.pathsep.join(
                             [ROOT, os.environ.get('PYTHONPATH', '')])))
    if out.returncode != 0:
        raise SystemExit(f'{variant} at {size} failed:\n{out.stderr[-2000:]}')
    return json.loads(out.stdout.strip().splitlines()[-1])


def parse_size(text: str) -> tuple:
    height, width = text.lower().split('x')
    return int(height), int(width)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--repeats', type=int, default=3,
                        help='timed steps per measurement (the best counts)')
    parser.add_argument('--sizes', nargs='+', default=['240x320', '480x640'],
                        help='input sizes HxW')
    parser.add_argument('--width-mult', type=float, default=1.0,
                        help='MultiScaleNet width (1.0 = Table 1)')
    parser.add_argument('--child', nargs=2, metavar=('VARIANT', 'SIZE'),
                        help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        variant, size = args.child
        print(json.dumps(measure_one(variant, *parse_size(size),
                                     args.repeats, args.device,
                                     args.width_mult)))
        return

    import torch
    machine = (torch.cuda.get_device_name() if args.device == 'cuda' else
               f'{platform.processor() or platform.machine()}, '
               f'{os.cpu_count()} cores, torch threads '
               f'{torch.get_num_threads()}')
    print(f'# bench_network: device={args.device} ({machine}), '
          f'width_mult={args.width_mult}, batch 1, best of {args.repeats}')
    print('| input | joint s | sem s | depth s | sem+depth s | time ratio '
          '| joint MiB | sem+depth MiB | memory ratio |')
    print('|---|---|---|---|---|---|---|---|---|')
    for text in args.sizes:
        size = parse_size(text)
        results = {v: measure_in_child(args, v, size) for v in VARIANTS}
        separate_s = results['semantic']['seconds'] + results['depth']['seconds']
        print(f"| {text} | {results['joint']['seconds']:.3f} | "
              f"{results['semantic']['seconds']:.3f} | "
              f"{results['depth']['seconds']:.3f} | {separate_s:.3f} | "
              f"{results['joint']['seconds'] / separate_s:.2f} | "
              f"{results['joint']['peak_mib']:.0f} | "
              f"{results['semantic']['peak_mib']:.0f} + "
              f"{results['depth']['peak_mib']:.0f} | "
              f"{results['joint']['peak_mib'] / (results['semantic']['peak_mib'] + results['depth']['peak_mib']):.2f} |")


if __name__ == '__main__':
    main()
