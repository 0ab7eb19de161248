"""Word images rendered on the fly: the corpus every config can use with no
download."""
from typing import Optional

from mmocr.registry import DATASETS

from .base import VirtualDataset
from .image_io import BadSample
from .synth_render import WordRenderer

__all__ = ['SynthWordDataset']


@DATASETS.register_module()
class SynthWordDataset(VirtualDataset):
    """Synthetic word crops, deterministic per ``(seed, index)``.

    Texts come from the ``wordfreq`` English lexicon (~94.6k words, tempered
    frequencies, all case styles) plus numbers, prices, dates, codes,
    punctuated words and random strings, drawn in 112 fonts (the font
    wheel of requirements/fonts.txt and matplotlib's DejaVu, plus
    ``font_dir`` from ``renderer``) with curved baselines, perspective,
    outlines / shadows / extrusion, photo-like backgrounds, neighbouring
    text, blur, motion blur, low resolution, noise and JPEG (see
    :class:`WordRenderer`).

    Args:
        num_samples (int): Virtual length. Defaults to 100000.
        seed (int): Corpus seed; index ``i`` always renders the same image.
        labelled (bool): Also provide the transcription as
            ``results['instances'] = [dict(text=...)]`` (what MMOCR's
            ``LoadOCRAnnotations(with_text=True)`` reads) for fine-tuning.
            ``False`` (pretraining) leaves it out.
        with_fg_mask (bool): Also provide ``results['gt_fg_mask']``: bool
            (H, W), True on glyph pixels (exact, for text segmentation).
            Neighbouring-text clutter is then off unless ``renderer`` sets
            ``clutter_prob`` (clutter is text that the mask leaves out).
        renderer (dict, optional): Keyword arguments of
            :class:`WordRenderer` (``font_dir``, ``lexicon``,
            ``random_word_prob``, ``rotation``, ...).
        **kwargs: ``pipeline``, ``test_mode``, ``max_refetch``, ... of
            MMEngine's ``BaseDataset``.

    The pipeline receives ``img``: uint8 (H, W, 3) BGR at the rendered size
    (about 32-64 px high), ``img_shape``, ``ori_shape``, ``sample_idx``; no
    ``LoadImageFromFile`` step is needed.
    """

    def __init__(self,
                 num_samples: int = 100000,
                 seed: int = 0,
                 labelled: bool = False,
                 with_fg_mask: bool = False,
                 renderer: Optional[dict] = None,
                 **kwargs) -> None:
        if not isinstance(num_samples, int) or num_samples < 1:
            raise ValueError(
                f'num_samples must be a positive int, got {num_samples!r}')
        if not isinstance(seed, int) or seed < 0:
            raise ValueError(f'seed must be an int >= 0, got {seed!r}')
        self._num = num_samples
        self.seed = seed
        self.labelled = labelled
        self.with_fg_mask = with_fg_mask
        renderer = dict(renderer or {})
        if with_fg_mask:
            renderer.setdefault('clutter_prob', 0.0)
        self.renderer = WordRenderer(**renderer)
        super().__init__(**kwargs)

    def num_samples(self) -> int:
        return self._num

    def load_sample(self, results: dict) -> None:
        idx = results['sample_idx']
        try:
            img, text, fg = self.renderer.render(self.seed, idx)
        except Exception as e:  # a font that cannot draw, ...: skip it
            raise BadSample('render', f'index {idx}: {e!r}') from None
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        results['img_path'] = f'synth://{self.seed}/{idx}'
        if self.labelled:
            results['instances'] = [dict(text=text)]
        if self.with_fg_mask:
            results['gt_fg_mask'] = fg
