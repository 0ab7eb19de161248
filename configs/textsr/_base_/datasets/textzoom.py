# TextZoom (Wang et al., ECCV 2020) LMDBs under data/TextZoom: train1,
# train2 and test/{easy,medium,hard}; keys num-samples, label-%09d,
# image_hr-%09d, image_lr-%09d.
textzoom_data_root = 'data/TextZoom'
textzoom_train = dict(
    type='ConcatDataset',
    datasets=[
        dict(type='TextZoomDataset', data_root=f'{textzoom_data_root}/train1',
             pipeline=None),
        dict(type='TextZoomDataset', data_root=f'{textzoom_data_root}/train2',
             pipeline=None),
    ])
textzoom_test_subsets = ['easy', 'medium', 'hard']
textzoom_test = dict(
    type='ConcatDataset',
    datasets=[
        dict(type='TextZoomDataset',
             data_root=f'{textzoom_data_root}/test/{name}', test_mode=True,
             pipeline=None) for name in textzoom_test_subsets
    ])
