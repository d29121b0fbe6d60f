"""CRF refiners of the semantic logits (section 3.4 of the paper)."""
from .dense_crf import DenseCRF

__all__ = ['DenseCRF']
