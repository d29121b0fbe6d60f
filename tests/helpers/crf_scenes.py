"""Small CRF inputs for the refiner tests."""
import torch


def structured_scene(height, width, classes, noise=8.0, seed=0):
    """Piecewise-constant colours/depths over a few regions, and unaries that
    mostly (not always) pick the region's class."""
    gen = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(height), torch.arange(width),
                            indexing='ij')
    labels = ((xx > width // 3).long() + 2 * (yy > height // 2).long()
              + ((xx - yy) > width // 3).long()) % classes
    palette = torch.rand(classes, 3, generator=gen) * 255
    image = palette[labels].permute(2, 0, 1)
    image = image + noise * torch.randn(3, height, width, generator=gen)
    depth = 1.0 + 0.6 * labels.float() + 0.02 * torch.randn(
        height, width, generator=gen)
    logits = (2.0 * torch.nn.functional.one_hot(labels, classes).float()
              + torch.randn(height, width, classes, generator=gen))
    return image[None], depth[None, None], logits.permute(2, 0, 1)[None], \
        labels
