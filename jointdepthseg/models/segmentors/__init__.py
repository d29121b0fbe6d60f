from .crf_encoder_decoder import CRFCascadeEncoderDecoder, CRFEncoderDecoder
from .crf_seg_tta_model import CRFSegTTAModel
from .joint_data_preprocessor import JointSegDataPreProcessor
from .joint_depth_segmentor import JointDepthSegmentor

__all__ = ['CRFCascadeEncoderDecoder', 'CRFEncoderDecoder', 'CRFSegTTAModel',
           'JointDepthSegmentor', 'JointSegDataPreProcessor']
