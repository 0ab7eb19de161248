"""The Python floor declared in setup.py is the one the code needs.

``python_requires`` must be neither too low (an install that succeeds and then
fails at run time, e.g. ``int.bit_count`` on 3.9) nor higher than needed. The
minimum is computed from the sources with ``vermin`` (syntax, stdlib modules,
functions and keyword arguments) plus a table of methods vermin cannot see
because it does not know the type of the object they are called on.
"""
import ast
import glob
import os.path as osp
import re

import vermin  # test requirement (requirements/tests.txt)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
SOURCE_GLOBS = ('mmocr_mms/**/*.py', 'tools/**/*.py', 'tests/**/*.py',
                'configs/**/*.py', 'setup.py', 'conftest.py')

# Methods of builtin / stdlib types, by the release that added them, that
# vermin misses when called on an expression of unknown type
# (`(a & b).bit_count()`). Matched by attribute name, so the table errs on
# the side of a higher floor.
METHODS_BY_VERSION = {
    'bit_count': (3, 10),  # int
    'randbytes': (3, 9),  # random.Random
    'removeprefix': (3, 9),  # str, bytes
    'removesuffix': (3, 9),  # str, bytes
    'is_relative_to': (3, 9),  # pathlib.PurePath
    'with_stem': (3, 9),  # pathlib.PurePath
    'hardlink_to': (3, 10),  # pathlib.Path
    'add_note': (3, 11),  # BaseException
}


def sources():
    paths = set()
    for pattern in SOURCE_GLOBS:
        paths.update(glob.glob(osp.join(ROOT, pattern), recursive=True))
    return sorted(paths)


def declared_floor():
    """(major, minor) of setup.py's ``python_requires='>=X.Y'``."""
    with open(osp.join(ROOT, 'setup.py'), encoding='utf-8') as f:
        tree = ast.parse(f.read())
    for node in ast.walk(tree):
        if isinstance(node, ast.keyword) and node.arg == 'python_requires':
            m = re.fullmatch(r'>=\s*(\d+)\.(\d+)', node.value.value)
            assert m, f'unexpected python_requires {node.value.value!r}'
            return int(m.group(1)), int(m.group(2))
    raise AssertionError('setup.py has no python_requires')


def declared_classifier_versions():
    with open(osp.join(ROOT, 'setup.py'), encoding='utf-8') as f:
        text = f.read()
    return sorted((int(a), int(b)) for a, b in re.findall(
        r"'Programming Language :: Python :: (\d+)\.(\d+)'", text))


def method_floor(source: str):
    """Highest release in METHODS_BY_VERSION among the attributes used."""
    found = [(3, 0)]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and \
                node.attr in METHODS_BY_VERSION:
            found.append(METHODS_BY_VERSION[node.attr])
    return max(found)


def vermin_floor(source: str, path: str):
    config = vermin.Config()
    config.set_eval_annotations(True)  # conservative: typing at run time
    mins = vermin.detect(source, config, path)
    assert mins[1] is not None, f'{path}: vermin says not Python 3'
    return tuple(mins[1])


def required_floor():
    """(version, paths needing it) over all sources."""
    per_file = {}
    for path in sources():
        with open(path, encoding='utf-8') as f:
            src = f.read()
        per_file[path] = max(vermin_floor(src, path), method_floor(src))
    need = max(per_file.values())
    return need, sorted(osp.relpath(p, ROOT)
                        for p, v in per_file.items() if v == need)


def test_method_table_sees_calls_vermin_misses():
    src = 'def f(a, b, rng):\n    return (a & b).bit_count(), ' \
          'rng.randbytes(4)\n'
    assert vermin_floor(src, '<snippet>') < (3, 10)  # why the table exists
    assert method_floor(src) == (3, 10)
    assert method_floor('x = "ab".upper()\n') == (3, 0)


def test_sources_parse_with_the_declared_floor_grammar():
    floor = declared_floor()
    for path in sources():
        with open(path, encoding='utf-8') as f:
            ast.parse(f.read(), filename=path, feature_version=floor)


def test_declared_floor_is_the_required_minimum():
    need, paths = required_floor()
    assert declared_floor() == need, (
        f'setup.py declares python_requires >= {declared_floor()}, the code '
        f'needs {need} ({", ".join(paths[:5])})')


def test_classifiers_start_at_the_floor():
    versions = declared_classifier_versions()
    assert versions, 'setup.py lists no Python version classifiers'
    assert versions[0] == declared_floor()
    # consecutive minor releases, no gaps
    assert [v[1] for v in versions] == list(
        range(versions[0][1], versions[-1][1] + 1))
