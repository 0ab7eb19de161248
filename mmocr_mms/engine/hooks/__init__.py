from .mask_epoch_hook import MaskEpochHook

__all__ = ['MaskEpochHook']
