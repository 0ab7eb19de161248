# The MAE arm of the GPU protocol (tools/recipes/reading_gpu.py --arm mae):
# mms_text-vit-s_h200-3min_str-real-synth.py with every mask replaced by
# MAE's random patch masking at 0.75 (same corpus, model, batch, schedule;
# each pass keeps its own mask seed).
_base_ = ['mms_text-vit-s_h200-3min_str-real-synth.py']

random_mask = dict(type='RandomPatchMasking', mask_ratio=0.75,
                   input_size=(32, 128), patch_size=4)


def _with_random_mask(pipeline):
    return [dict(random_mask, seed=t['seed']) if 'seed' in t
            and t.get('type') == _base_.mask_transform['type'] else t
            for t in pipeline]


train_dataloader = dict(
    dataset=dict(datasets=[
        dict(d, dataset=dict(d['dataset'], pipeline=_with_random_mask(
            d['dataset']['pipeline']))) if 'dataset' in d else dict(
                d, pipeline=_with_random_mask(d['pipeline']))
        for d in _base_.train_dataloader.dataset.datasets
    ]))
