"""Every package of mmocr_mms declares ``__all__``: the names it lists exist,
every public name it re-exports is listed, and every class registered in an
MMOCR registry is exported by each package above its module."""
import importlib
import inspect
import pkgutil
import types

import pytest
from mmocr import registry as mmocr_registry
from mmengine.registry import Registry

import mmocr_mms


def _packages():
    names = ['mmocr_mms']
    for info in pkgutil.walk_packages(mmocr_mms.__path__, 'mmocr_mms.'):
        if info.ispkg:
            names.append(info.name)
    return sorted(names)


PACKAGES = _packages()


def test_walk_finds_the_packages():
    assert {'mmocr_mms.datasets', 'mmocr_mms.models.backbones',
            'mmocr_mms.engine.hooks'} <= set(PACKAGES)


@pytest.mark.parametrize('name', PACKAGES)
def test_all_is_complete_and_valid(name):
    pkg = importlib.import_module(name)
    assert hasattr(pkg, '__all__'), f'{name} has no __all__'
    listed = list(pkg.__all__)
    assert len(listed) == len(set(listed)), f'{name}: duplicates in __all__'
    missing = [n for n in listed if not hasattr(pkg, n)]
    assert not missing, f'{name}.__all__ names what it lacks: {missing}'
    # public names the package holds (imported or defined), submodules
    # excepted, must be listed
    public = {n for n, v in vars(pkg).items()
              if not n.startswith('_') and not isinstance(v, types.ModuleType)}
    unlisted = sorted(public - set(listed))
    assert not unlisted, f'{name} re-exports names not in __all__: {unlisted}'


def _registered_classes():
    out = []
    for reg in vars(mmocr_registry).values():
        if not isinstance(reg, Registry):
            continue
        for cls in reg.module_dict.values():
            if inspect.isclass(cls) and \
                    cls.__module__.startswith('mmocr_mms.'):
                out.append(cls)
    return sorted(set(out), key=lambda c: f'{c.__module__}.{c.__name__}')


def test_registered_classes_are_exported():
    classes = _registered_classes()
    assert len(classes) >= 30  # the registries were read
    problems = []
    for cls in classes:
        parts = cls.__module__.split('.')
        # every package from mmocr_mms.<sub> down to the defining module's
        for depth in range(2, len(parts)):
            pkg_name = '.'.join(parts[:depth])
            pkg = importlib.import_module(pkg_name)
            if not hasattr(pkg, '__path__'):
                continue
            if cls.__name__ not in getattr(pkg, '__all__', ()):
                problems.append(f'{cls.__name__} not in {pkg_name}.__all__')
            elif getattr(pkg, cls.__name__) is not cls:
                problems.append(f'{pkg_name}.{cls.__name__} is another object')
    assert not problems, problems
