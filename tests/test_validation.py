"""Every config value of our models, datasets, hooks and optimiser wrapper
is checked when built; the error names the parameter."""
import pytest
from mmocr.registry import DATASETS, HOOKS, MODELS

TINY = dict(embed_dims=32, num_layers=2, num_heads=2)
DEC = dict(type='MIMPixelDecoder', embed_dims=32, num_layers=1, num_heads=2)


@pytest.mark.parametrize('cfg,name', [
    (dict(type='TextViT', arch='huge-ish'), 'arch'),
    (dict(type='TextViT', arch=dict(embed_dims=30, num_layers=2,
                                    num_heads=4)), 'divisible by num_heads'),
    (dict(type='TextViT', arch=dict(embed_dims=32, num_layers=0,
                                    num_heads=2)), 'num_layers'),
    (dict(type='TextViT', arch=dict(embed_dims=32, num_layers=2,
                                    num_heads=2, mlp_ratio=0)), 'mlp_ratio'),
    (dict(type='TextViT', arch=TINY, img_size=(30, 128)), 'patch_size'),
    (dict(type='TextViT', arch=TINY, out_type='pixels'), 'out_type'),
    (dict(type='TextViT', arch=TINY, out_type='cls'), 'with_cls_token'),
    (dict(type='TextViT', arch=TINY, out_indices=5), 'out index'),
    (dict(type='TextViT', arch=TINY, frozen_stages=9), 'frozen_stages'),
    (dict(type='TextViT', arch=TINY, drop_path_rate=1.5), 'drop_path_rate'),
    (dict(DEC, embed_dims=30, num_heads=4), 'num_heads'),
    (dict(DEC, num_layers=0), 'num_layers'),
    (dict(DEC, patch_size=0), 'patch_size'),
    (dict(DEC, grid=(0, 32)), 'grid'),
    (dict(type='MMS', backbone=dict(type='TextViT', arch=TINY), decoder=DEC,
          encoder_batching='sorted'), 'encoder_batching'),
    (dict(type='MMS', backbone=dict(type='TextViT', arch=TINY), decoder=DEC,
          norm_pix='yes'), 'norm_pix'),
])
def test_model_arguments(cfg, name):
    with pytest.raises(ValueError, match=name):
        MODELS.build(cfg)


@pytest.mark.parametrize('cfg,name', [
    (dict(type='SynthWordDataset', num_samples=0), 'num_samples'),
    (dict(type='SynthWordDataset', seed=-1), 'seed'),
    (dict(type='SynthWordDataset', renderer=dict(random_word_prob=2.0)),
     'random_word_prob'),
    (dict(type='SynthWordDataset', renderer=dict(min_len=5, max_len=2)),
     'min_len'),
    (dict(type='UnlabeledLMDBDataset', data_root='x', image_key='image'),
     'image_key'),
    (dict(type='UnlabeledLMDBDataset', data_root='x', index_base=-1),
     'index_base'),
    (dict(type='ImageFolderDataset', data_root='x', extensions=['jpg']),
     'extensions'),
])
def test_dataset_arguments(cfg, name):
    with pytest.raises(ValueError, match=name):
        DATASETS.build(cfg)


def test_hook_arguments():
    with pytest.raises(ValueError, match='interval'):
        HOOKS.build(dict(type='ReconstructionVisHook', interval=0))
