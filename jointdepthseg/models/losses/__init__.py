from .scale_invariant_loss import ScaleInvariantLoss, scale_invariant_loss

__all__ = ['ScaleInvariantLoss', 'scale_invariant_loss']
