from .bf16_optim_wrapper import BF16OptimWrapper
from .guarded_optim_wrapper import (GuardedAmpOptimWrapper,
                                    GuardedBF16OptimWrapper,
                                    GuardedOptimWrapper, NonFiniteLossError)
from .layer_decay import TextLayerDecayOptimWrapperConstructor

__all__ = [
    'BF16OptimWrapper', 'GuardedOptimWrapper', 'GuardedAmpOptimWrapper',
    'GuardedBF16OptimWrapper', 'NonFiniteLossError',
    'TextLayerDecayOptimWrapperConstructor'
]
