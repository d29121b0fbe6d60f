# Stage 1 (Sec. 4.1) starting from ImageNet VGG-16 weights mapped onto Table 1
# as DeepLab-LargeFOV [4] reads VGG-16 (docs/pretrained_weights.md). Make the
# weights first (torchvision's file, vgg16-397923af.pth):
#   python tools/model_converters/vgg16_to_multiscale_net.py \
#       vgg16-397923af.pth pretrained/multiscale_net_vgg16.pth
# Everything else (data, loss, schedule) is configs/nyu/stage1_sem.py.
_base_ = ['./stage1_sem.py']
model = dict(
    # VGG-16 from torchvision expects RGB, (pixel - mean) / std on 0-255 with
    # ImageNet's statistics: the base preprocessor's values, restated here
    # because the weights depend on them.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],  # 255 * (0.485, 0.456, 0.406)
        std=[58.395, 57.12, 57.375],     # 255 * (0.229, 0.224, 0.225)
        bgr_to_rgb=True),
    backbone=dict(
        # Table 1 gives no dilation. conv5-3 holds fc6 decimated to kernel taps
        # 3 cells of VGG's stride-32 grid apart (96 px); conv5-3 runs at
        # stride 8, so 96 / 8 = 12, DeepLab-LargeFOV's fc6 dilation.
        branch5_dilation=12,
        # Departs from the paper, which starts from DeepLab-COCO-LargeFOV
        # (ImageNet, then MS-COCO and PASCAL VOC; a Caffe file no maintained
        # library reads here): ImageNet-only VGG-16, 4 convs Kaiming.
        init_cfg=dict(type='Pretrained',
                      checkpoint='pretrained/multiscale_net_vgg16.pth')))
work_dir = 'work_dirs/nyu/stage1_sem_vgg16'
