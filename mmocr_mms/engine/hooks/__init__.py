from .mask_epoch_hook import MaskEpochHook
from .reconstruction_hook import ReconstructionVisHook

__all__ = ['MaskEpochHook', 'ReconstructionVisHook']
