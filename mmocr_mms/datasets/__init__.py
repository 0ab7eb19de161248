"""Datasets (DATASETS registry, scope ``mmocr``) and transforms."""
from .base import MMSBaseDataset, SkipCounter, VirtualDataset
from .image_folder import ImageFolderDataset
from .image_io import BadSample, decode_image, read_image_file
from .lmdb_dataset import LabelledLMDBDataset, UnlabeledLMDBDataset
from .lmdb_writer import collect_items, write_lmdb
from .samplers import MixedSourceSampler
from .synth_word import SynthWordDataset
from . import recog_datasets, transforms
from .recog_datasets import *  # noqa: F401,F403
from .synth_textdet import SynthTextDetDataset
from .textseg import TextSegDataset
from .textzoom import TextZoomDataset
from .transforms import *  # noqa: F401,F403
from .tsv_dataset import TSVTextRecogDataset

__all__ = [
    'MMSBaseDataset', 'VirtualDataset', 'SkipCounter', 'BadSample',
    'decode_image', 'read_image_file', 'SynthWordDataset',
    'UnlabeledLMDBDataset', 'LabelledLMDBDataset', 'ImageFolderDataset',
    'TSVTextRecogDataset', 'collect_items', 'write_lmdb',
    'MixedSourceSampler', 'SynthTextDetDataset', 'TextSegDataset',
    'TextZoomDataset'
] + recog_datasets.__all__ + transforms.__all__
