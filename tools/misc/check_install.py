"""Exit 0 when this Python environment already has what `make` installs.

Checks, without importing torch (so it takes well under a second):
* every package pinned in requirements/constraints.txt is installed at that
  version (a compiled ``mmcv`` 2.0.x counts for ``mmcv-lite``);
* ``mmocr_mms`` imports from this checkout.
Prints what is missing and exits 1 otherwise.
"""
import importlib.metadata as md
import importlib.util
import os.path as osp
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def pinned(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if '==' in line:
                name, version = line.split('==', 1)
                yield name.strip(), version.strip()


def installed(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def main() -> int:
    problems = []
    for name, want in pinned(osp.join(ROOT, 'requirements', 'constraints.txt')):
        have = installed(name)
        if name == 'mmcv-lite' and have is None:
            full = installed('mmcv')
            if full is not None and full.startswith('2.0.'):
                continue
        # local build tags (torch 2.14.1+cu130) count as the same release
        if have is None or have.split('+', 1)[0] != want:
            problems.append(f'{name}: want {want}, have {have}')
    spec = importlib.util.find_spec('mmocr_mms')
    where = osp.dirname(osp.dirname(spec.origin)) if spec and spec.origin \
        else None
    if where is None or osp.realpath(where) != osp.realpath(ROOT):
        problems.append(f'mmocr_mms: not installed from {ROOT} '
                        f'(found: {where})')
    for p in problems:
        print('needs install:', p)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
