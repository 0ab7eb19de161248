"""`make demo`: pretrain the demo model on synthetic words and save what a
user wants to see.

    python tools/demo.py [--work-dir work_dirs/demo]

Leaves in the work dir:
  epoch_N.pth              the runner checkpoint (resumable)
  backbone.pth             the encoder only, for fine-tuning (init_cfg)
  reconstruction.png       original | masked | reconstruction per strategy
  reconstructions/         the same grid during training
  masks.png                the three masking strategies on words
"""
import argparse
import os.path as osp
import shutil
import time

import mmocr_mms  # noqa: F401
from mmengine.config import Config
from mmengine.runner import Runner

from mmocr_mms.utils.convert import convert_to_backbone_checkpoint

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--work-dir', default='work_dirs/demo')
    p.add_argument('--config',
                   default=osp.join(ROOT, 'configs/mms/mms_text-vit-demo_4e_synth-words.py'))
    args = p.parse_args()
    start = time.time()
    cfg = Config.fromfile(args.config)
    cfg.work_dir = args.work_dir
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = osp.join(args.work_dir, f'epoch_{runner.epoch}.pth')
    backbone = osp.join(args.work_dir, 'backbone.pth')
    convert_to_backbone_checkpoint(ckpt, backbone)
    final = osp.join(args.work_dir, 'reconstructions',
                     f'iter_{runner.iter}.png')
    shutil.copyfile(final, osp.join(args.work_dir, 'reconstruction.png'))
    import subprocess
    import sys
    subprocess.run([
        sys.executable, osp.join(ROOT, 'tools', 'visualize_masks.py'),
        '--out', osp.join(args.work_dir, 'masks.png'), '--num', '4'
    ], check=True)
    print(f'\ndemo finished in {time.time() - start:.0f} s; in '
          f'{args.work_dir}:\n  {osp.basename(ckpt)} (runner checkpoint), '
          'backbone.pth (encoder for fine-tuning),\n  reconstruction.png, '
          'masks.png')


if __name__ == '__main__':
    main()
