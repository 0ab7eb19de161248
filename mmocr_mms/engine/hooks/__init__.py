from .mask_epoch_hook import MaskEpochHook
from .reconstruction_hook import ReconstructionVisHook
from .time_budget_hook import TrainTimeBudgetHook

__all__ = ['MaskEpochHook', 'ReconstructionVisHook', 'TrainTimeBudgetHook']
