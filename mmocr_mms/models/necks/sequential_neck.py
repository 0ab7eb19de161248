"""Chain necks, e.g. :class:`ViTSimpleFPN` then MMOCR's stock ``FPNC``, in
the single ``neck`` slot of MMOCR detectors."""
from typing import Any, List, Optional, Union

from mmengine.model import BaseModule, ModuleList
from mmocr.registry import MODELS

__all__ = ['SequentialNeck']


@MODELS.register_module()
class SequentialNeck(BaseModule):
    """Apply several necks in order; each gets the previous one's output.

    Args:
        necks: Neck configs (MODELS registry), applied first to last.
        init_cfg: MMEngine init config.

    Shapes: whatever the chain maps, e.g. (N, C, H/4, W/4) ->
    :class:`ViTSimpleFPN` -> 4 maps -> ``FPNC`` -> (N, 256, H/4, W/4).
    """

    def __init__(self,
                 necks: List[dict],
                 init_cfg: Optional[Union[dict, List[dict]]] = None
                 ) -> None:
        super().__init__(init_cfg=init_cfg)
        if not necks:
            raise ValueError('SequentialNeck needs at least one neck')
        # MMEngine's ModuleList passes init_weights on to the necks (their
        # own init_cfg, e.g. FPNC's Kaiming init), torch's would not.
        self.necks = ModuleList([MODELS.build(cfg) for cfg in necks])

    def forward(self, x: Any) -> Any:
        """Run the necks in order."""
        for neck in self.necks:
            x = neck(x)
        return x
