"""Write reconstruction grids during pretraining."""
import os
import os.path as osp
from typing import Optional

import cv2
from mmengine.dist import master_only
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmocr.registry import HOOKS

from mmocr_mms.visualization.reconstruction import (find_mask_strategies,
                                                    reconstruction_grid,
                                                    sample_images)

__all__ = ['ReconstructionVisHook']


@HOOKS.register_module()
class ReconstructionVisHook(Hook):
    """Every ``interval`` iterations (and after training), reconstruct a
    fixed set of training images under each masking strategy of the
    pipeline and write an original | masked | reconstruction grid (one row
    per image and strategy).

    The picture goes to the runner's visualizer backends (local files under
    ``work_dir/<timestamp>/vis_data``; TensorBoard when a
    ``TensorboardVisBackend`` is configured) and, as a plain PNG, to
    ``work_dir/<out_dir>/iter_<n>.png``.

    Args:
        interval (int): Iterations between grids. Defaults to 1000.
        num_samples (int): Images in the grid. Defaults to 4.
        out_dir (str, optional): Folder under the work dir for PNGs;
            ``None`` writes to the visualizer only.
    """

    priority = 'LOW'

    def __init__(self,
                 interval: int = 1000,
                 num_samples: int = 4,
                 out_dir: Optional[str] = 'reconstructions') -> None:
        if interval < 1 or num_samples < 1:
            raise ValueError('interval and num_samples must be >= 1, got '
                             f'{interval}, {num_samples}')
        self.interval = interval
        self.num_samples = num_samples
        self.out_dir = out_dir
        self._images = None
        self._strategies = None

    def _prepare(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        self._images = sample_images(dataset, self.num_samples)
        ds = dataset
        while not hasattr(ds, 'pipeline') and hasattr(ds, 'datasets'):
            ds = ds.datasets[0]
        self._strategies = find_mask_strategies(getattr(ds, 'pipeline', None))

    @master_only
    def draw(self, runner, step: int) -> str:
        """Draw and save one grid; returns the PNG path (or '')."""
        if self._images is None:
            self._prepare(runner)
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        grid, _ = reconstruction_grid(model, self._images, self._strategies)
        runner.visualizer.add_image('reconstruction', grid[..., ::-1], step)
        if not self.out_dir:
            return ''
        folder = osp.join(runner.work_dir, self.out_dir)
        os.makedirs(folder, exist_ok=True)
        path = osp.join(folder, f'iter_{step}.png')
        cv2.imwrite(path, grid)
        return path

    def after_train_iter(self, runner, batch_idx: int, data_batch=None,
                         outputs=None) -> None:
        if self.every_n_train_iters(runner, self.interval):
            self.draw(runner, runner.iter + 1)

    def after_train(self, runner) -> None:
        path = self.draw(runner, runner.iter)
        if path:
            runner.logger.info(f'reconstruction grid saved to {path}')
