# Proxy super-resolution data without TextZoom: synthetic word crops
# (SynthWordDataset) turned into LR 16x64 / HR 32x128 pairs by MakeLRHRPair
# (in the pipeline). Train and test use different seeds.
synth_words_sr_train = dict(
    type='SynthWordDataset', num_samples=100000, seed=0, pipeline=None)
synth_words_sr_test = dict(
    type='SynthWordDataset', num_samples=2000, seed=1, test_mode=True,
    pipeline=None)
