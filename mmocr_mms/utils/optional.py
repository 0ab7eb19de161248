"""Optional dependencies, imported where they are used and reported with
what needs them and how to install them."""
import importlib
from types import ModuleType

__all__ = ['import_optional']


def import_optional(module: str, purpose: str,
                    requirements: str = 'requirements/benchmark.txt'
                    ) -> ModuleType:
    """Import ``module`` or raise an ImportError that says who needs it.

    Args:
        module: Dotted module name, e.g. ``'mmpretrain.models'``.
        purpose: What needs it, for the message.
        requirements: The requirements file that lists it.

    Raises:
        ImportError: ``module`` (or its package) is not installed.
    """
    try:
        return importlib.import_module(module)
    except ImportError as e:
        package = module.split('.')[0]
        raise ImportError(
            f'{purpose} needs {package}, an optional dependency of '
            f'mmocr_mms: pip install -r {requirements} (`make install` '
            f'installs it)') from e
