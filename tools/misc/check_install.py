"""Exit 0 when this Python environment already has what `make` installs.

Checks, without importing torch (so it takes well under a second):
* every package pinned in requirements/constraints.txt is installed at that
  version (a compiled ``mmcv`` 2.0.x counts for ``mmcv-lite``);
* every package that `make install` installs (requirements/runtime.txt,
  tests.txt, benchmark.txt, lite.txt, fonts.txt, fonts-google.txt,
  deploy.txt) is pinned there, so none escapes the
  check (the optional requirements/peer.txt, which `make install` leaves out,
  is pinned there too but need not be installed);
* ``mmocr_mms`` imports from this checkout.
Prints what is missing and exits 1 otherwise.
"""
import importlib.metadata as md
import importlib.util
import os.path as osp
import re
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
#: the requirement files `make force-install` installs
INSTALLED_FILES = ('runtime.txt', 'tests.txt', 'benchmark.txt', 'lite.txt',
                   'fonts.txt', 'fonts-google.txt', 'deploy.txt')
#: optional requirement files `make install` does not install (their pins
#: in constraints.txt are not required to be installed)
OPTIONAL_FILES = ('peer.txt', )


def pinned(path):
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if '==' in line:
                name, version = line.split('==', 1)
                yield name.strip(), version.strip()


def required(path):
    """Package names of a requirements file (ranges and comments
    dropped)."""
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line and not line.startswith('-'):
                yield re.split(r'[<>=!~;\[ ]', line, 1)[0].strip()


def unpinned(root=ROOT):
    """'file: name' for each installed requirement without a pin in
    constraints.txt."""
    pins = {n.lower() for n, _ in pinned(
        osp.join(root, 'requirements', 'constraints.txt'))}
    return [f'{name} (requirements/{fname}) has no pin in constraints.txt'
            for fname in INSTALLED_FILES
            for name in required(osp.join(root, 'requirements', fname))
            if name.lower() not in pins]


def installed(name):
    try:
        return md.version(name)
    except md.PackageNotFoundError:
        return None


def same_release(have, want):
    """Whether installed version ``have`` is the pinned ``want``: compared
    as PEP 440 versions (``1.002`` == ``1.2``, as pip resolves the pin),
    local build tags ignored (torch ``2.14.1+cu130`` == ``2.14.1``)."""
    have = have.split('+', 1)[0]
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # pragma: no cover - packaging ships with pip
        return have == want
    try:
        return Version(have) == Version(want)
    except InvalidVersion:
        return have == want


def optional_names(root=ROOT):
    """Lower-case names of the packages of :data:`OPTIONAL_FILES`."""
    return {name.lower() for fname in OPTIONAL_FILES
            if osp.isfile(osp.join(root, 'requirements', fname))
            for name in required(osp.join(root, 'requirements', fname))}


def main() -> int:
    problems = unpinned()
    optional = optional_names()
    for name, want in pinned(osp.join(ROOT, 'requirements', 'constraints.txt')):
        if name.lower() in optional:
            continue
        have = installed(name)
        if name == 'mmcv-lite' and have is None:
            full = installed('mmcv')
            if full is not None and full.startswith('2.0.'):
                continue
        if have is None or not same_release(have, want):
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
