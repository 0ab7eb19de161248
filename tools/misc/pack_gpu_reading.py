"""Pack what the GPU reading recipe needs into one git-ignored folder.

    make gpu-wheels                                   # py3.12 wheels first
    python tools/misc/pack_gpu_reading.py [--out build/gpu_reading]
        [--str-real ../shared/data/str_real] [--wheels build/wheels]
        [--height 32] [--quality 85] [--test-height 32] [--fonts-per-family 1]

The GPU machine has no network, no OpenMMLab packages, no ``wordfreq`` and
none of the font wheels, and only the repository checkout travels there
(64 MiB in all, tracked files included). This writes into OUT:

- ``wheels/``: the OpenMMLab stack as Python 3.12 wheels (the list of
  ``tools/misc/gpu_wheels.sh``), copied from ``--wheels``;
- ``fonts/NNN_<name>.ttf``: the renderer's default fonts
  (``default_font_paths()``: trdg, the fontpkg Google Fonts wheels, DejaVu),
  ``--fonts-per-family`` files of each family (default 1: all 706 files
  subset would take ~46 MiB of the 64, one per family ~13 MiB; the upright
  regular file is preferred), reduced
  with fontTools to the printable ASCII characters (all the renderer draws)
  plus ``.notdef``, outlines, hinting, kerning and embedded bitmaps kept;
  numbered in the default order, so ``sorted(glob('fonts/*.ttf'))`` is the
  renderer's font order; ``fonts/fonts.tsv`` names each source file;
- ``lexicon.txt``: the renderer's default lexicon
  (``wordfreq_lexicon(100000)``, one word a line, most frequent first);
- ``str_real/<split>/IMG/*.jpg`` + ``labels.tsv``: the real crops of the
  training splits and the IIIT5K / SVT test splits, resized to ``--height``
  pixels high (aspect kept) and stored as JPEG (``--quality``); labels
  unchanged. Research-use data: it stays in this git-ignored folder;
- ``manifest.json``: counts, sizes, versions.

It prints the folder's size next to the repository's tracked files and
fails when both together exceed the 64 MiB a GPU call can carry.
"""
import argparse
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import time

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from mmocr_mms.datasets.synth_render import default_font_paths  # noqa: E402
from mmocr_mms.datasets.synth_text import wordfreq_lexicon  # noqa: E402
from mmocr_mms.datasets.tsv_dataset import read_labels_tsv  # noqa: E402
from mmocr_mms.utils.lexicon import write_lexicon  # noqa: E402

TRAIN_SPLITS = ('iiit5k_train', 'svt_train', 'ic15_train')
TEST_SPLITS = ('iiit5k_test', 'svt_test')
CARRY_LIMIT = 64 * 2**20
# The closure tools/misc/gpu_wheels.sh downloads (what mmocr_mms imports
# beyond the GPU image's packages); each must be in --wheels exactly once.
WHEELS = ('mmengine', 'mmdet', 'mmocr', 'mmpretrain', 'mmcv_lite', 'addict',
          'yapf', 'platformdirs', 'termcolor', 'mat4py', 'modelindex',
          'model_index', 'ordered_set', 'lmdb', 'shapely', 'pyclipper',
          'rapidfuzz', 'terminaltables', 'pycocotools', 'importlib_metadata',
          'setuptools')
# Everything the renderer draws is printable ASCII (charset, lexicon
# [a-z0-9]+ in four case styles, the generated kinds' $.,%:/-'&!?").
ASCII = range(0x20, 0x7f)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--out', default=osp.join(REPO, 'build', 'gpu_reading'))
    p.add_argument('--str-real', default=os.environ.get(
        'MMOCR_MMS_STR_REAL', osp.join(REPO, '..', 'shared', 'data',
                                       'str_real')))
    p.add_argument('--wheels', default=osp.join(REPO, 'build', 'wheels'))
    p.add_argument('--height', type=int, default=32,
                   help='height of the stored training crops')
    p.add_argument('--test-height', type=int, default=32,
                   help='height of the stored test crops (0: copy the '
                   'original files)')
    p.add_argument('--quality', type=int, default=85, help='JPEG quality')
    p.add_argument('--lexicon-size', type=int, default=100000)
    p.add_argument('--fonts-per-family', type=int, default=1,
                   help='font files kept per family (0: all)')
    return p.parse_args(argv)


def dir_size(path):
    return sum(osp.getsize(osp.join(d, f))
               for d, _, files in os.walk(path) for f in files)


def tracked_size(repo=REPO):
    """Bytes of the repository's tracked files (what travels besides the
    carried folders)."""
    out = subprocess.run(['git', 'ls-files', '-z'], cwd=repo, check=True,
                         capture_output=True).stdout.decode()
    return sum(osp.getsize(osp.join(repo, f)) for f in out.split('\0')
               if f and osp.isfile(osp.join(repo, f)))


def copy_wheels(src, dst):
    os.makedirs(dst, exist_ok=True)
    picked = []
    for name in WHEELS:
        found = glob.glob(osp.join(src, f'{name}-*.whl'))
        if len(found) != 1:
            raise SystemExit(f'{src}: expected one {name}-*.whl, found '
                             f'{len(found)}; run `make gpu-wheels`')
        shutil.copy2(found[0], dst)
        picked.append(osp.basename(found[0]))
    return picked


def subset_font(src, dst):
    """Keep printable ASCII + .notdef; nothing else of the font changes
    (outlines, hinting, legacy 'kern', embedded bitmaps, names)."""
    from fontTools import subset
    opts = subset.Options()
    opts.notdef_outline = True
    opts.notdef_glyph = True
    opts.legacy_kern = True
    opts.hinting = True
    opts.layout_features = ['*']
    opts.name_IDs = ['*']
    opts.name_languages = ['*']
    opts.drop_tables = []
    opts.glyph_names = True
    font = subset.load_font(src, opts)
    subsetter = subset.Subsetter(opts)
    subsetter.populate(unicodes=ASCII)
    subsetter.subset(font)
    subset.save_font(font, dst, opts)


def pick_fonts(paths, per_family):
    """At most ``per_family`` files of each font family (PIL's family
    name), upright regular files first, in the order of ``paths``;
    ``per_family`` 0 keeps every file."""
    if per_family <= 0:
        return list(paths)
    from PIL import ImageFont

    styles = ('bold', 'black', 'heavy', 'light', 'thin', 'medium', 'semi',
              'extra', 'ultra', 'condensed', 'narrow', 'expanded')

    def rank(path):
        name = osp.basename(path).lower()
        return ('italic' in name or 'oblique' in name,
                sum(w in name for w in styles),
                not ('regular' in name or '[wght]' in name), len(name))

    by_family = {}
    for path in paths:
        family = ImageFont.truetype(path, 12).getname()[0]
        by_family.setdefault(family, []).append(path)
    keep = {p for group in by_family.values()
            for p in sorted(group, key=rank)[:per_family]}
    return [p for p in paths if p in keep]


def pack_fonts(dst, per_family=1):
    os.makedirs(dst, exist_ok=True)
    paths = pick_fonts(default_font_paths(), per_family)
    if not paths:
        raise SystemExit('no default fonts found: pip install -r '
                         'requirements/fonts.txt --no-deps')
    rows = []
    for i, src in enumerate(paths):
        name = f'{i:03d}_{osp.basename(src)}'
        subset_font(src, osp.join(dst, name))
        package = osp.relpath(src, osp.dirname(osp.dirname(
            osp.dirname(src)))).split(osp.sep)[0]
        rows.append((name, package, src, osp.getsize(src)))
    with open(osp.join(dst, 'fonts.tsv'), 'w', encoding='utf-8') as f:
        f.write('file\tpackage\tsource\tsource_bytes\n')
        for r in rows:
            f.write('\t'.join(map(str, r)) + '\n')
    return rows


def pack_split(src_root, split, dst_root, height, quality):
    """Resize a labels.tsv split to ``height`` px (aspect kept) as JPEG;
    ``height`` 0 copies the files. Returns the number of crops."""
    src = osp.join(src_root, split)
    dst = osp.join(dst_root, split)
    os.makedirs(osp.join(dst, 'IMG'), exist_ok=True)
    items = read_labels_tsv(osp.join(src, 'labels.tsv'))
    lines = []
    for rel, label in items:
        if height == 0:
            out_rel = rel
            shutil.copy2(osp.join(src, rel), osp.join(dst, rel))
        else:
            with open(osp.join(src, rel), 'rb') as f:
                buf = f.read()
            img = cv2.imdecode(np.frombuffer(buf, np.uint8),
                               cv2.IMREAD_COLOR)
            if img is None:
                raise SystemExit(f'cannot decode {osp.join(src, rel)}')
            h, w = img.shape[:2]
            new_w = max(1, round(w * height / h))
            interp = cv2.INTER_AREA if h > height else cv2.INTER_LINEAR
            img = cv2.resize(img, (new_w, height), interpolation=interp)
            out_rel = osp.splitext(rel)[0] + '.jpg'
            ok, enc = cv2.imencode('.jpg', img,
                                   [cv2.IMWRITE_JPEG_QUALITY, quality])
            if not ok:
                raise SystemExit(f'cannot encode {rel}')
            with open(osp.join(dst, out_rel), 'wb') as f:
                f.write(enc.tobytes())
        lines.append(f'{out_rel}\t{label}\n')
    with open(osp.join(dst, 'labels.tsv'), 'w', encoding='utf-8',
              newline='\n') as f:
        f.writelines(lines)
    return len(lines)


def main(argv=None):
    args = parse_args(argv)
    out = osp.abspath(args.out)
    for name, v in (('height', args.height), ('quality', args.quality)):
        if v < 1:
            raise SystemExit(f'--{name} must be >= 1, got {v}')
    if not osp.isdir(args.str_real):
        raise SystemExit(f'real crops not found at {args.str_real}: pass '
                         '--str-real or set MMOCR_MMS_STR_REAL')
    if osp.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    t0 = time.time()
    wheels = copy_wheels(args.wheels, osp.join(out, 'wheels'))
    fonts = pack_fonts(osp.join(out, 'fonts'), args.fonts_per_family)
    words = wordfreq_lexicon(args.lexicon_size)
    n_words = write_lexicon(osp.join(out, 'lexicon.txt'), words)
    crops = {}
    for split in TRAIN_SPLITS + TEST_SPLITS:
        h = args.test_height if split in TEST_SPLITS else args.height
        crops[split] = pack_split(args.str_real, split,
                                  osp.join(out, 'str_real'), h, args.quality)
    import fontTools
    from importlib.metadata import version
    sizes = {k: dir_size(osp.join(out, k))
             for k in ('wheels', 'fonts', 'str_real')}
    sizes['lexicon.txt'] = osp.getsize(osp.join(out, 'lexicon.txt'))
    manifest = dict(
        wheels=wheels,
        fonts=dict(count=len(fonts),
                   source_bytes=sum(r[3] for r in fonts),
                   subset='printable ASCII U+0020-U+007E + .notdef '
                   f'(fontTools {fontTools.version})'),
        lexicon=dict(words=n_words, source=f'wordfreq {version("wordfreq")} '
                     f"top_n_list('en', {args.lexicon_size}, 'best') "
                     'filtered to [a-z0-9]+ (wordfreq_lexicon)'),
        str_real=dict(crops=crops, height=args.height,
                      test_height=args.test_height, jpeg_quality=args.quality),
        bytes=sizes)
    with open(osp.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
    total = dir_size(out)
    repo = tracked_size()
    mib = 2**20
    print(f'{out}: {total / mib:.1f} MiB in {time.time() - t0:.0f} s')
    for k, v in sizes.items():
        print(f'  {k:12s} {v / mib:6.1f} MiB')
    print(f'  fonts: {len(fonts)} files subset from '
          f'{manifest["fonts"]["source_bytes"] / mib:.1f} MiB; lexicon '
          f'{n_words} words; crops {sum(crops.values())}')
    print(f'tracked files {repo / mib:.1f} MiB + pack {total / mib:.1f} MiB '
          f'= {(repo + total) / mib:.1f} MiB of the 64 MiB a call carries')
    if repo + total > CARRY_LIMIT:
        raise SystemExit('too large to carry: lower --quality or '
                         '--test-height')


if __name__ == '__main__':
    main()
