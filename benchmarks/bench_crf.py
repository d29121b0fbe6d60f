"""Benchmark DenseCRF (permutohedral lattice, pure PyTorch) against pydensecrf.

Same problems for both (``bench_crf_cases.py``): uniform noise and a
synthetic room at 480x640 x 40 classes with the paper's widths, matplotlib's
``grace_hopper.jpg`` (600x512) with pydensecrf's README parameters at 6 and
21 classes, and its 512x512 crop at 21 and 150 classes; 5 mean-field
iterations, symmetric normalisation and Potts weights on both sides.
Krähenbühl's C++ (``pydensecrf``, install e.g. ``pip install pydensecrf2``;
it is not a dependency of the package) is single-threaded, so ours runs with
one torch thread by default.  Both times include the lattice builds (ours
keeps the position-only lattice between calls, as CRF-RNN does, so a call
builds the colour lattice only).

Printed, per case: the medians of interleaved runs of pydensecrf, our
forward (no autograd) and our forward+backward (the CRF's part of a training
step: its forward, then its backward from a fixed gradient of the output, so
that no loss's own cost is counted), with fixed weights (gradients to the
unaries only) and with learnable ones, the ratios, the split into lattice
build and iterations on both sides, the peak resident memory of one call in
a fresh process (above the inputs), and how often the labels agree with
pydensecrf's.

Usage::

    python benchmarks/bench_crf.py               # all cases, CPU, 1 thread
    python benchmarks/bench_crf.py --quick       # small inputs, smoke run
    python benchmarks/bench_crf.py --device cuda --cases room,crop-150

Exits with status 2 when pydensecrf is not installed.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import date

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(
    __file__))))
from bench_crf_cases import CASE_NAMES, Case, make_case  # noqa: E402

ITERATIONS = 5
QUICK_SIZE = (120, 160)
QUICK_CROP = 128


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--device', choices=('cpu', 'cuda'), default='cpu',
                        help='device for our implementation (pydensecrf '
                        'always runs on the CPU)')
    parser.add_argument('--threads', type=int, default=1,
                        help='torch CPU threads (pydensecrf is '
                        'single-threaded; default 1 for a like-for-like '
                        'comparison)')
    parser.add_argument('--repeats', type=int, default=5,
                        help='timed runs per measurement (median reported), '
                        'after one warm-up run')
    parser.add_argument('--cases', default=','.join(CASE_NAMES),
                        help='comma-separated cases, from '
                        f'{", ".join(CASE_NAMES)}')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the synthetic inputs')
    parser.add_argument('--quick', action='store_true',
                        help=f'smoke run: {QUICK_SIZE[0]}x{QUICK_SIZE[1]} '
                        f'noise and room, {QUICK_CROP}x{QUICK_CROP} photo '
                        'crops, one timed run, memory of the first case')
    parser.add_argument('--no-memory', action='store_true',
                        help='skip the peak-memory runs (fresh processes)')
    parser.add_argument('--memory-of', help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.case_list = [c for c in args.cases.split(',') if c]
    unknown = [c for c in args.case_list if c not in CASE_NAMES]
    if unknown:
        parser.error(f'unknown case(s) {unknown}; choose from {CASE_NAMES}')
    if args.quick:
        args.repeats = 1
    return args


def require_pydensecrf():
    """Import pydensecrf or exit with a clear message."""
    try:
        import pydensecrf.densecrf as dcrf
    except ImportError:
        print('bench_crf.py: pydensecrf is not installed; it is the reference '
              'of this benchmark (not a package dependency). Install it with '
              '`pip install pydensecrf2`.', file=sys.stderr)
        sys.exit(2)
    return dcrf


def load_case(name: str, args: argparse.Namespace) -> Case:
    if not args.quick:
        return make_case(name, args.seed)
    case = make_case(name, args.seed, QUICK_SIZE)
    if name.startswith(('photo', 'crop')):
        crop = slice(0, QUICK_CROP)
        case = Case(case.name, case.image[crop, crop].copy(),
                    case.probs[:, crop, crop].copy(), case.params,
                    case.depth[crop, crop].copy())
    return case


class Pydensecrf:
    """pydensecrf's README pipeline; build and iterations timed apart."""

    def __init__(self, dcrf, case: Case) -> None:
        self.dcrf, self.case = dcrf, case
        classes = case.num_classes
        self.unary = np.ascontiguousarray(
            -np.log(case.probs.reshape(classes, -1)))

    def build(self):
        case, params = self.case, self.case.params
        height, width = case.size
        crf = self.dcrf.DenseCRF2D(width, height, case.num_classes)
        crf.setUnaryEnergy(self.unary)
        crf.addPairwiseGaussian(sxy=params['sxy_gaussian'],
                                compat=params['w_gaussian'])
        crf.addPairwiseBilateral(sxy=params['sxy_bilateral'],
                                 srgb=params['srgb'], rgbim=case.image,
                                 compat=params['w_bilateral'])
        return crf

    def __call__(self) -> np.ndarray:
        return np.asarray(self.build().inference(ITERATIONS)).reshape(
            self.case.probs.shape)


class Ours:
    """DenseCRF with the same kernels, inputs as tensors on ``device``."""

    def __init__(self, case: Case, device: str) -> None:
        from jointdepthseg.models.refiners import DenseCRF
        params = case.params

        def crf(learnable: bool) -> DenseCRF:
            return DenseCRF(
                case.num_classes, ITERATIONS,
                theta_alpha=params['sxy_bilateral'],
                theta_beta=params['srgb'], theta_tau=params['sxy_gaussian'],
                w_appearance=params['w_bilateral'], w_depth=None,
                w_smooth=params['w_gaussian'], normalize='symmetric',
                learnable=learnable).to(device)

        self.crf = crf(learnable=False)
        # the same CRF with its compatibility and kernel weights learnable
        # (its backward adds dL/dA, C x C products per kernel and iteration)
        self.learnable_crf = crf(learnable=True)
        self.unary = torch.from_numpy(np.log(case.probs))[None].to(device)
        generator = torch.Generator().manual_seed(0)
        self.grad_out = torch.randn(self.unary.shape,
                                    generator=generator).to(device)
        self.image = torch.from_numpy(case.image).permute(
            2, 0, 1)[None].float().to(device)

    def forward(self) -> torch.Tensor:
        with torch.no_grad():
            return self.crf(self.unary, self.image)

    def forward_backward(self, learnable: bool = False) -> None:
        unary = self.unary.clone().requires_grad_(True)
        crf = self.learnable_crf if learnable else self.crf
        crf(unary, self.image).backward(self.grad_out)

    def forward_backward_learnable(self) -> None:
        self.forward_backward(learnable=True)

    def build(self) -> None:
        """The lattice built per call: the appearance kernel's."""
        from jointdepthseg.models.refiners.lattice_filter import \
            LatticeGaussianFilter
        with torch.no_grad():
            features = dict(self.crf.kernel_features(self.image, None))
            LatticeGaussianFilter(features['appearance'], 'symmetric')


def sync(device: str) -> None:
    if device == 'cuda':
        torch.cuda.synchronize()


def timed(fn, device: str = 'cpu') -> float:
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def _status_kb(field: str) -> int:
    with open('/proc/self/status') as status:
        for line in status:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def peak_memory_mb(fn, device: str) -> float:
    """Peak memory of one call above what was in use before it: the CUDA
    allocator's peak, or the peak resident set size (Linux; the high-water
    mark is reset through /proc/self/clear_refs first)."""
    if device == 'cuda':
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        fn()
        return (torch.cuda.max_memory_allocated() - base) / 2**20
    base = _status_kb('VmRSS')
    with open('/proc/self/clear_refs', 'w') as refs:
        refs.write('5')
    fn()
    return (_status_kb('VmHWM') - base) / 1024.0


def memory_child(args: argparse.Namespace) -> int:
    """``--memory-of CASE:WHAT``: print the peak memory (MB) of one call."""
    name, what = args.memory_of.split(':')
    torch.set_num_threads(args.threads)
    case = load_case(name, args)
    if what == 'pydensecrf':
        fn, device = Pydensecrf(require_pydensecrf(), case), 'cpu'
    else:
        ours, device = Ours(case, args.device), args.device
        fn = ours.forward if what == 'forward' else ours.forward_backward
    print(f'{peak_memory_mb(fn, device):.1f}')
    return 0


def child_memory_mb(args: argparse.Namespace, name: str, what: str) -> float:
    command = [sys.executable, os.path.abspath(__file__), '--device',
               args.device, '--threads', str(args.threads), '--seed',
               str(args.seed), '--memory-of', f'{name}:{what}']
    if args.quick:
        command.append('--quick')
    done = subprocess.run(command, capture_output=True, text=True,
                          check=True)
    return float(done.stdout.strip().splitlines()[-1])


def measure(dcrf, name: str, args: argparse.Namespace) -> dict:
    """Interleaved runs of every measurement of one case; medians."""
    case = load_case(name, args)
    reference, ours = Pydensecrf(dcrf, case), Ours(case, args.device)
    expected = reference()
    refined = ours.forward().softmax(1)[0].cpu().numpy()
    ours.forward_backward()
    ours.forward_backward_learnable()
    times = {key: [] for key in ('pyd', 'pyd_build', 'fwd', 'build',
                                 'both', 'learn')}
    for _ in range(args.repeats):
        times['pyd'].append(timed(reference))
        times['pyd_build'].append(timed(reference.build))
        times['fwd'].append(timed(ours.forward, args.device))
        times['build'].append(timed(ours.build, args.device))
        times['both'].append(timed(ours.forward_backward, args.device))
        times['learn'].append(timed(ours.forward_backward_learnable,
                                    args.device))
    row = {key: statistics.median(value) for key, value in times.items()}
    row.update(
        case=case, agree=float((refined.argmax(0) == expected.argmax(0))
                               .mean()),
        changed=float((case.probs.argmax(0) != expected.argmax(0)).mean()),
        dq=float(np.abs(refined - expected).mean()))
    # (a smoke run measures the memory of its first case only)
    if not args.no_memory and not (args.quick and name != args.case_list[0]):
        row['memory'] = [child_memory_mb(args, name, what) for what in
                         ('forward', 'backward', 'pydensecrf')]
    return row


def print_tables(rows: list, args: argparse.Namespace) -> None:
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as info:
            cpu = next(line.split(':', 1)[1].strip() for line in info
                       if line.startswith('model name'))
    except (OSError, StopIteration):
        pass
    print(f'\n## DenseCRF vs pydensecrf ({date.today()}, {cpu}, '
          f'{os.cpu_count()} cores, torch {torch.__version__}, '
          f'device={args.device}, threads={args.threads}, '
          f'median of {args.repeats})\n')
    print(f'{ITERATIONS} iterations, symmetric normalisation, Potts; '
          'seconds. "build" is the lattice construction per call (ours: the '
          'colour lattice, the position lattice is cached; pydensecrf: both '
          'kernels), "iters" the rest. Memory: peak RSS above the inputs of '
          'one call in a fresh process, MB.\n')
    print('| case | size x C | pydensecrf (build + iters) | ours forward '
          '(build + iters) | ours / pydensecrf | ours fwd+bwd | fwd+bwd / '
          'fwd | fwd+bwd, weights learnable / fwd | memory ours fwd / '
          'fwd+bwd / pydensecrf | labels = pydensecrf |')
    print('|---|---|---|---|---|---|---|---|---|---|')
    for row in rows:
        case = row['case']
        height, width = case.size
        memory = ' / '.join(f'{m:.0f}' for m in row.get('memory', [])) \
            or '-'
        print(f'| {case.name} | {height}x{width} x {case.num_classes} | '
              f'{row["pyd"]:.3f} ({row["pyd_build"]:.3f} + '
              f'{row["pyd"] - row["pyd_build"]:.3f}) | '
              f'{row["fwd"]:.3f} ({row["build"]:.3f} + '
              f'{row["fwd"] - row["build"]:.3f}) | '
              f'{row["fwd"] / row["pyd"]:.2f} | {row["both"]:.3f} | '
              f'{row["both"] / row["fwd"]:.2f} | '
              f'{row["learn"] / row["fwd"]:.2f} | {memory} | '
              f'{100 * row["agree"]:.2f} % |')
    print('\nLabels changed by pydensecrf (share of pixels): ' + ', '.join(
        f'{row["case"].name} {100 * row["changed"]:.0f} %' for row in rows)
        + '; mean |Q_ours - Q_pydensecrf|: ' + ', '.join(
            f'{row["case"].name} {row["dq"]:.1e}' for row in rows) + '.')


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.memory_of:
        return memory_child(args)
    dcrf = require_pydensecrf()
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('bench_crf.py: --device cuda but CUDA is not available',
              file=sys.stderr)
        return 2
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.case_list:
        rows.append(measure(dcrf, name, args))
        print(f'{name}: done', file=sys.stderr, flush=True)
    print_tables(rows, args)
    return 0


if __name__ == '__main__':
    sys.exit(main())
