"""Extract the encoder of a pretraining checkpoint for fine-tuning.

    python tools/model_converters/mms_to_backbone.py SRC DST [--prefix P]

SRC: an MMS runner checkpoint (work_dirs/.../epoch_N.pth) or a MAERec /
Union14M / timm MAE checkpoint. DST: a file with only `backbone.*` tensors,
loadable with torch.load(weights_only=True) and by
`init_cfg=dict(type='Pretrained', checkpoint=DST, prefix='backbone.')`.
"""
import argparse

from mmocr_mms.utils.convert import convert_to_backbone_checkpoint


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('src', help='pretraining checkpoint')
    p.add_argument('dst', help='output backbone checkpoint')
    p.add_argument('--prefix', default=None,
                   help="key prefix of the encoder in SRC (default: "
                   "'backbone.' or 'encoder.' if present, else all keys)")
    args = p.parse_args()
    meta = convert_to_backbone_checkpoint(args.src, args.dst, args.prefix)
    print(f'wrote {args.dst}: {meta["num_tensors"]} tensors, '
          f'{meta["num_params"] / 1e6:.2f}M parameters')


if __name__ == '__main__':
    main()
