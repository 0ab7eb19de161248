# TextSeg (Xu et al., CVPR 2021), official release layout under
# data/TextSeg: image/, annotation/ (word polygons), semantic_label/
# (<id>_maskfg.png: 0 bg, 100 text, 200 text effect, 255 ignore),
# split.json. Samples are word crops (axis-aligned bounds of each word
# polygon); effect pixels are ignored, as in the authors' loader.
textseg_data_root = 'data/TextSeg'
textseg_train = dict(
    type='TextSegDataset', data_root=textseg_data_root, split='train',
    mask_encoding='textseg', effect_as='ignore', word_level=True,
    pipeline=None)
textseg_val = dict(
    type='TextSegDataset', data_root=textseg_data_root, split='val',
    mask_encoding='textseg', effect_as='ignore', word_level=True,
    test_mode=True, pipeline=None)
textseg_test = dict(
    type='TextSegDataset', data_root=textseg_data_root, split='test',
    mask_encoding='textseg', effect_as='ignore', word_level=True,
    test_mode=True, pipeline=None)
