"""Which depth does the CRF's depth kernel need? An ablation at test time.

Runs one trained stage-3 model (a `JointDepthSegmentor` with a `DenseCRF`
refiner) over a test split and feeds its CRF, in turn: no depth kernel, the
predicted depth, the predicted depth rescaled per image to the ground truth's
median, and the ground-truth depth. Prints the mIoU of each and of the unaries.
If ground-truth depth does not help either, the data or the kernel, not the
depth estimate, is what limits the depth kernel.

    python benchmarks/crf_depth_ablation.py CONFIG CHECKPOINT --data-root DIR
"""
from __future__ import annotations

import argparse

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmengine.utils import ProgressBar


def test_set_outputs(model, dataset):
    """Runs the network over ``dataset`` one image at a time, with a
    progress bar (the caller turns gradients off).

    Yields:
        tuple: unary logits (1, C, H, W), estimated depth (1, 1, H, W) m,
        ground-truth depth (1, 1, H, W) m (0 = no value), the image
        (1, 3, H, W) 0-255 and the labels (H, W).
    """
    bar = ProgressBar(len(dataset))
    for index in range(len(dataset)):
        item = dataset[index]
        data = model.data_preprocessor(
            dict(inputs=[item['inputs']],
                 data_samples=[item['data_samples']]), False)
        outputs = model._forward_heads(data['inputs'])
        sample = data['data_samples'][0]
        yield (outputs['seg_logits'], outputs['depth'],
               sample.gt_depth_map.data[None],
               model.image_rgb_0_255(data['inputs']),
               sample.gt_sem_seg.data[0])
        bar.update()
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('config', help='a stage-3 config (with a refiner)')
    parser.add_argument('checkpoint', help='its trained checkpoint')
    parser.add_argument('--data-root', help='override the test data root')
    args = parser.parse_args()
    torch.set_grad_enabled(False)  # inference only
    init_default_scope('mmseg')
    from jointdepthseg.apis import init_model
    from jointdepthseg.evaluation.confusion import (confusion_matrix,
                                                    segmentation_scores)
    from mmseg.registry import DATASETS

    cfg = Config.fromfile(args.config)
    model = init_model(cfg, args.checkpoint, 'cpu')
    if model.refiner is None or model.depth_head is None:
        raise SystemExit('error: the config has no refiner or no depth head')
    dataset_cfg = dict(cfg.test_dataloader.dataset)
    if args.data_root:
        dataset_cfg['data_root'] = args.data_root
    dataset = DATASETS.build(dataset_cfg)
    num_classes = model.num_classes
    variants = ('unaries', 'CRF, no depth kernel', 'CRF, predicted depth',
                'CRF, predicted depth rescaled to GT median',
                'CRF, ground-truth depth')
    totals = {name: 0 for name in variants}
    for unary, depth, gt_depth, image, labels in test_set_outputs(
            model, dataset):
        valid = gt_depth > 0
        scale = torch.median(gt_depth[valid] / depth[valid])
        logits = {
            'unaries': unary,
            'CRF, no depth kernel': model.refiner(unary, image, None),
            'CRF, predicted depth': model.refiner(unary, image, depth),
            'CRF, predicted depth rescaled to GT median':
            model.refiner(unary, image, depth * scale),
            # holes (0) would be a depth edge; give them the prediction
            'CRF, ground-truth depth': model.refiner(
                unary, image, torch.where(valid, gt_depth, depth)),
        }
        for name, value in logits.items():
            totals[name] = totals[name] + confusion_matrix(
                value.argmax(1)[0], labels, num_classes, 255)
    print('| CRF input | mIoU (%) |\n|---|---|')
    for name in variants:
        scores = segmentation_scores(totals[name].numpy())
        print(f"| {name} | {100 * scores['mIoU']:.1f} |")


if __name__ == '__main__':
    main()
