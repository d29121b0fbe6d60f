from .joint_data_preprocessor import JointSegDataPreProcessor
from .joint_depth_segmentor import JointDepthSegmentor

__all__ = ['JointDepthSegmentor', 'JointSegDataPreProcessor']
