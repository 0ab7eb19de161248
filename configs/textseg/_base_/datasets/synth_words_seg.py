# Synthetic word crops with exact glyph masks (SynthWordDataset,
# with_fg_mask=True): text segmentation that runs anywhere, no download.
# Train and test use different seeds, so they share no image.
synth_words_seg_train = dict(
    type='SynthWordDataset', num_samples=100000, seed=0, with_fg_mask=True,
    pipeline=None)
synth_words_seg_test = dict(
    type='SynthWordDataset', num_samples=2000, seed=1, with_fg_mask=True,
    test_mode=True, pipeline=None)
