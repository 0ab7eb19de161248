"""Install mmocr_mms: ``pip install -e .`` (see README for the tested
versions and the mmcv-lite / compiled-mmcv choice)."""
import os.path as osp

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    """Requirement lines of requirements/<name>.txt (comments dropped)."""
    with open(osp.join(HERE, 'requirements', name), encoding='utf-8') as f:
        lines = (line.split('#', 1)[0].strip() for line in f)
        return [line for line in lines if line]


def read_version() -> str:
    scope: dict = {}
    with open(osp.join(HERE, 'mmocr_mms', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


setup(
    name='mmocr_mms',
    version=read_version(),
    description='Multi-Masking-Strategy (MMS) self-supervised pretraining '
    'of ViT text backbones for MMOCR 1.x',
    long_description=open(osp.join(HERE, 'README.md'),
                          encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    # 3.10: int.bit_count() in the mask code (tests/test_python_floor.py
    # computes the minimum from the sources and checks this line).
    python_requires='>=3.10',
    classifiers=[
        'License :: OSI Approved :: Apache Software License',
        'Operating System :: POSIX :: Linux',
        'Programming Language :: Python :: 3',
        'Programming Language :: Python :: 3 :: Only',
        'Programming Language :: Python :: 3.10',
        'Programming Language :: Python :: 3.11',
        'Programming Language :: Python :: 3.12',
        'Topic :: Scientific/Engineering :: Artificial Intelligence',
    ],
    packages=find_packages(exclude=('tests', 'tests.*', 'tools', 'configs')),
    include_package_data=True,
    # mmcv is deliberately not listed: mmcv-lite and the compiled mmcv both
    # provide the `mmcv` package and must not be installed over each other.
    # Choose one: the `lite` extra, or a compiled mmcv 2.0.x.
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'lite': read_requirements('lite.txt'),
        'tests': read_requirements('tests.txt'),
        'benchmark': read_requirements('benchmark.txt'),
        'deploy': read_requirements('deploy.txt'),
        # install the font wheels with --no-deps instead:
        # pip install --no-deps -r requirements/fonts.txt
    },
    zip_safe=False,
)
