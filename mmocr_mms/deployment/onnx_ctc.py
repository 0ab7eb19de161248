"""ONNX export of CTC text recognizers (TextViT + ``ViTColumnPoolEncoder`` +
``SVTRDecoder``, or any MMOCR ``EncoderDecoderRecognizer`` whose decoder
emits per-frame logits in one pass) and an onnxruntime recognizer that
decodes exactly as the PyTorch model does.

The exported graph holds the whole numeric path after the test pipeline:

    image (N, 3, H, W) float32, BGR, 0..255 (the test pipeline's output)
      -> data preprocessor normalisation (BGR->RGB, mean / std)
      -> backbone -> encoder -> decoder linear head
      -> logits (N, T, C), probs = softmax(logits) (N, T, C)

with a dynamic batch axis. Decoding (greedy CTC: best class per frame,
repeats and blank / padding removed, dictionary lookup) is MMOCR's
``CTCPostProcessor`` with the config's dictionary, applied to ``probs``, as
in the PyTorch ``predict`` path.
"""
import copy
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from torch import nn

from ..apis.crop_reader import CropReader

__all__ = [
    'CTCExportModule', 'export_ctc_onnx', 'ONNXCTCRecognizer',
    'build_postprocessor', 'compare_with_pytorch'
]


class CTCExportModule(nn.Module):
    """The traced part of a CTC recognizer.

    Args:
        recognizer: An MMOCR ``EncoderDecoderRecognizer`` whose decoder's
            ``forward_train(feat, out_enc)`` returns logits (N, T, C) and
            whose ``forward_test`` is their softmax (``SVTRDecoder``,
            ``CRNNDecoder``-style heads).

    Shapes: ``forward(image (N, 3, H, W) BGR 0..255)`` ->
    ``(logits (N, T, C), probs (N, T, C))``.
    """

    def __init__(self, recognizer: nn.Module) -> None:
        super().__init__()
        self.recognizer = recognizer
        pre = recognizer.data_preprocessor
        self.swap_rb = bool(getattr(pre, '_channel_conversion', False))
        self.normalize = bool(getattr(pre, '_enable_normalize', False))
        if self.normalize:
            self.register_buffer('mean', pre.mean.detach().clone().float())
            self.register_buffer('std', pre.std.detach().clone().float())

    def forward(self, image: torch.Tensor
                ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(N, 3, H, W) BGR 0..255 -> logits, probs (N, T, C)."""
        x = image.float()
        if self.swap_rb:
            x = x.flip(1)
        if self.normalize:
            x = (x - self.mean) / self.std
        rec = self.recognizer
        feat = rec.extract_feat(x)
        out_enc = rec.encoder(feat, None) if rec.with_encoder else None
        logits = rec.decoder.forward_train(feat, out_enc, None)
        return logits, logits.softmax(-1)


def _input_size(cfg) -> Tuple[int, int]:
    """(H, W) of the test pipeline's fixed-size ``Resize``."""
    from ..apis import leaf_dataset_cfg
    ds = leaf_dataset_cfg(cfg.get('test_dataloader', {}).get('dataset'))
    for t in (ds or {}).get('pipeline', []):
        if t.get('type') == 'Resize' and not t.get('keep_ratio', False):
            scale = t['scale']
            return int(scale[1]), int(scale[0])
    raise ValueError('the test pipeline has no fixed-size Resize '
                     "(keep_ratio=False); pass input_size=(H, W)")


def export_ctc_onnx(config: str,
                    checkpoint: Optional[str],
                    out_file: str,
                    input_size: Optional[Tuple[int, int]] = None,
                    opset: int = 17,
                    cfg_options: Optional[dict] = None) -> Dict:
    """Export the CTC recognizer of ``config`` + ``checkpoint`` to ONNX.

    Uses torch's TorchScript-based exporter (``dynamo=False``: one trace,
    no onnxscript needed), input ``image`` and outputs ``logits`` /
    ``probs`` with a dynamic batch axis ``batch``.

    Args:
        config: Recognizer config.
        checkpoint: Its checkpoint (None: random weights, for tests).
        out_file: Path of the ``.onnx`` file written.
        input_size: (H, W); default: the test pipeline's fixed Resize.
        opset: ONNX opset.
        cfg_options: Config overrides.

    Returns:
        dict(input_size, num_frames T, num_classes C, out_file).
    """
    from ..evaluation.recog_benchmarks import load_recognizer
    model, cfg = load_recognizer(config, checkpoint, cfg_options)
    if not hasattr(model.decoder, 'forward_train'):
        raise ValueError(f'{type(model.decoder).__name__} is not a '
                         'one-pass decoder')
    if model.decoder.postprocessor is None or type(
            model.decoder.postprocessor).__name__ != 'CTCPostProcessor':
        raise ValueError(
            f'{config}: only CTC recognizers (CTCPostProcessor) can be '
            'exported; attention decoders loop over characters')
    h, w = input_size or _input_size(cfg)
    module = CTCExportModule(model).eval()
    dummy = torch.full((2, 3, h, w), 127.0)
    with torch.no_grad(), warnings.catch_warnings():
        # shape checks in Python become constants of the fixed-size trace
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        logits, _ = module(dummy)
        torch.onnx.export(
            module, (dummy, ), out_file, input_names=['image'],
            output_names=['logits', 'probs'], opset_version=opset,
            dynamic_axes={
                'image': {0: 'batch'},
                'logits': {0: 'batch'},
                'probs': {0: 'batch'}
            }, dynamo=False)
    return dict(input_size=(h, w), num_frames=int(logits.shape[1]),
                num_classes=int(logits.shape[2]), out_file=out_file)


def build_postprocessor(cfg) -> nn.Module:
    """The decoder's postprocessor (with its dictionary) of a recognizer
    config, built without the network."""
    from mmocr.registry import MODELS, TASK_UTILS
    dec = cfg.model.decoder
    dictionary = dec['dictionary']
    if isinstance(dictionary, dict):
        dictionary = TASK_UTILS.build(copy.deepcopy(dictionary))
    post = copy.deepcopy(dict(dec['postprocessor']))
    post.update(dictionary=dictionary,
                max_seq_len=dec.get('max_seq_len', 40))
    return MODELS.build(post)


class ONNXCTCRecognizer(CropReader):
    """An exported CTC recognizer run by onnxruntime, with the PyTorch
    model's test pipeline and postprocessor.

    Args:
        onnx_file: Output of :func:`export_ctc_onnx`.
        config: The recognizer config (test pipeline, dictionary,
            postprocessor).
        num_threads: onnxruntime intra-op threads (0: its default).
        providers: onnxruntime execution providers (default CPU).
        cfg_options: Config overrides.

    The pipeline and ``readtext`` come from
    :class:`~mmocr_mms.apis.crop_reader.CropReader`.
    ``test_step(data_batch)`` mirrors MMOCR's ``BaseModel.test_step`` (the
    batch of a test dataloader: ``inputs`` list of (3, H, W) uint8 tensors,
    ``data_samples``) and returns the data samples with ``pred_text``, so
    :func:`mmocr_mms.evaluation.recog_benchmarks.evaluate_dataset` runs it
    unchanged. ``run(images)`` maps a (N, 3, H, W) float32 array to
    (logits, probs) (N, T, C); ``readtext(crops)`` reads BGR arrays or
    paths and returns ``[(text, mean char score)]``.
    """

    def __init__(self,
                 onnx_file: str,
                 config: str,
                 num_threads: int = 0,
                 providers: Optional[Sequence[str]] = None,
                 cfg_options: Optional[dict] = None) -> None:
        import onnxruntime as ort
        from mmengine.config import Config
        from mmengine.registry import init_default_scope
        if not osp.isfile(onnx_file):
            raise FileNotFoundError(f'onnx_file {onnx_file} not found')
        if not isinstance(num_threads, int) or num_threads < 0:
            raise ValueError(f'num_threads must be an int >= 0, got '
                             f'{num_threads!r}')
        cfg = Config.fromfile(config)
        if cfg_options:
            cfg.merge_from_dict(cfg_options)
        init_default_scope(cfg.get('default_scope', 'mmocr'))
        self.cfg = cfg
        self.postprocessor = build_postprocessor(cfg)
        opts = ort.SessionOptions()
        if num_threads:
            opts.intra_op_num_threads = num_threads
            opts.inter_op_num_threads = 1
        self.session = ort.InferenceSession(
            onnx_file, opts,
            providers=list(providers or ['CPUExecutionProvider']))

    def run(self, images: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """(N, 3, H, W) BGR 0..255 -> (logits, probs) (N, T, C) float32."""
        images = np.ascontiguousarray(images, dtype=np.float32)
        logits, probs = self.session.run(['logits', 'probs'],
                                         {'image': images})
        return logits, probs

    def test_step(self, data_batch: Dict) -> List:
        """Predict a test-dataloader batch (see the class docstring)."""
        inputs = data_batch['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack([torch.as_tensor(i) for i in inputs])
        _, probs = self.run(inputs.numpy())
        return self.postprocessor(
            torch.from_numpy(probs), list(data_batch['data_samples']))


@torch.no_grad()
def compare_with_pytorch(model: nn.Module,
                         ort_recognizer: ONNXCTCRecognizer,
                         crops: Sequence[Union[str, np.ndarray]],
                         batch_size: int = 32) -> Dict:
    """Run the PyTorch recognizer and its ONNX export on the same crops.

    Args:
        model: The PyTorch recognizer (eval mode).
        ort_recognizer: The onnxruntime recognizer of its export.
        crops: Image paths or BGR arrays, through the test pipeline.
        batch_size: Crops per forward.

    Returns:
        dict(n, max_abs_logit_diff, max_abs_prob_diff, num_text_equal,
        mismatches=[(index, torch text, onnx text)]).
    """
    from mmengine.dataset import pseudo_collate
    module = CTCExportModule(model).eval()
    res = dict(n=0, max_abs_logit_diff=0.0, max_abs_prob_diff=0.0,
               num_text_equal=0, mismatches=[])
    for i in range(0, len(crops), batch_size):
        batch = pseudo_collate(
            [ort_recognizer.pipeline(c) for c in crops[i:i + batch_size]])
        images = torch.stack(list(batch['inputs'])).float()
        t_logits, t_probs = module(images)
        o_logits, o_probs = ort_recognizer.run(images.numpy())
        res['max_abs_logit_diff'] = max(
            res['max_abs_logit_diff'],
            float(np.abs(t_logits.numpy() - o_logits).max()))
        res['max_abs_prob_diff'] = max(
            res['max_abs_prob_diff'],
            float(np.abs(t_probs.numpy() - o_probs).max()))
        torch_out = model.test_step(copy.deepcopy(batch))
        ort_out = ort_recognizer.test_step(batch)
        for j, (a, b) in enumerate(zip(torch_out, ort_out)):
            if a.pred_text.item == b.pred_text.item:
                res['num_text_equal'] += 1
            else:
                res['mismatches'].append(
                    (i + j, a.pred_text.item, b.pred_text.item))
        res['n'] += len(torch_out)
    return res
