# Synthetic detection scenes (SynthTextDetDataset): rendered words pasted on
# smooth 320 x 320 backgrounds with known boxes; no download.
synth_scenes_train = dict(
    type='SynthTextDetDataset', num_samples=10000, seed=0,
    canvas_size=(320, 320), max_words=4, word_height=(16, 48),
    pipeline=None)
synth_scenes_test = dict(
    type='SynthTextDetDataset', num_samples=200, seed=1,
    canvas_size=(320, 320), max_words=4, word_height=(16, 48),
    test_mode=True, pipeline=None)
