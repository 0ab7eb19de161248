"""Frozen-encoder linear CTC probe.

A cheap way to compare pretrained encoders without fine-tuning them: the
encoder is frozen, its (N, C, 8, 32) feature map is mean-pooled over the 8
patch rows into 32 frames of C features, and a single linear layer per frame
(C -> 36 characters + CTC blank) is trained with CTC on labelled crops.
Word accuracy of the greedy decode, ignoring case and symbols (the common
protocol: :func:`mmocr_mms.utils.text.normalize_label`), measures how linearly
readable the characters are from the frozen features.

Typical use::

    feats, labels = extract_features(backbone, dataset, cache='f.pt')
    probe = train_probe(feats, labels, epochs=30, lr=1e-2, seed=0)
    acc = probe_word_accuracy(probe, test_feats, test_labels)

Everything is deterministic for a given seed (CPU).
"""
import math
import os
import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F

from ..utils.text import PROTOCOL_CHARSET, normalize_label

__all__ = [
    'normalize_label', 'probe_pipeline',
    'default_data_preprocessor', 'extract_features', 'LinearCTCProbe',
    'train_probe', 'probe_predict', 'probe_word_accuracy', 'probe_metrics'
]



def probe_pipeline(from_file: bool = True) -> List[dict]:
    """Pipeline of a labelled probe dataset: image -> 32 x 128 (aspect ratio
    not kept, as in pretraining) -> ``PackTextRecogInputs`` with the text.

    Args:
        from_file: Start with ``LoadImageFromFile`` (TSV / MMOCR datasets);
            False for :class:`SynthWordDataset`, whose images arrive
            decoded.
    """
    pipeline = [
        dict(type='Resize', scale=(128, 32), keep_ratio=False),
        dict(type='LoadOCRAnnotations', with_text=True),
        dict(type='PackTextRecogInputs',
             meta_keys=('img_path', 'ori_shape', 'img_shape',
                        'valid_ratio')),
    ]
    if from_file:
        pipeline.insert(0, dict(type='LoadImageFromFile'))
    return pipeline


def default_data_preprocessor() -> nn.Module:
    """MMOCR's ``TextRecogDataPreprocessor`` with ImageNet mean/std in RGB,
    the normalisation of pretraining (:class:`MMS`) and fine-tuning."""
    from mmocr.registry import MODELS
    return MODELS.build(
        dict(type='TextRecogDataPreprocessor',
             mean=[123.675, 116.28, 103.53],
             std=[58.395, 57.12, 57.375],
             bgr_to_rgb=True))


def _batches(dataset_or_loader, batch_size: int) -> Iterable[dict]:
    """Batches ``dict(inputs=[...], data_samples=[...])`` of a DataLoader
    (with ``pseudo_collate``) or of an indexable dataset of packed
    samples (read in order)."""
    if isinstance(dataset_or_loader, torch.utils.data.DataLoader):
        yield from dataset_or_loader
        return
    ds = dataset_or_loader
    for start in range(0, len(ds), batch_size):
        items = [ds[i] for i in range(start, min(start + batch_size,
                                                 len(ds)))]
        yield dict(inputs=[it['inputs'] for it in items],
                   data_samples=[it['data_samples'] for it in items])


@torch.no_grad()
def extract_features(backbone: nn.Module,
                     dataset_or_loader,
                     data_preprocessor: Optional[nn.Module] = None,
                     batch_size: int = 64,
                     cache: Optional[str] = None,
                     device: Union[str, torch.device] = 'cpu',
                     pool: str = 'mean'
                     ) -> Tuple[torch.Tensor, List[str]]:
    """Frozen features of every sample, pooled into CTC frames.

    Args:
        backbone: A :class:`TextViT` (or any encoder returning an
            (N, C, H', W') map, or a tuple whose last entry is one). It is
            run in eval mode under ``no_grad`` and its mode is restored.
        dataset_or_loader: A dataset of packed samples (``inputs``: uint8
            (3, 32, 128) BGR, ``data_samples`` with ``gt_text``; see
            :func:`probe_pipeline`) or a DataLoader over one with
            ``pseudo_collate``.
        data_preprocessor: Normalises the batches; default
            :func:`default_data_preprocessor`.
        batch_size: Batch size when a dataset is given.
        cache: Optional ``.pt`` path. When it exists the features are
            loaded from it (the backbone is not run); otherwise they are
            computed and saved there.
        device: Where the backbone runs.
        pool: How the H' rows of a column become one frame: ``'mean'``
            averages them (C features per frame), ``'concat'`` stacks them
            (C * H' features per frame; the probe then sees where in the
            column a stroke is, which averaging throws away).

    Returns:
        feats: float32 (N, C, W') ('mean') or (N, C * H', W') ('concat')
            on CPU (W' = 32 frames for 32 x 128 crops and 4 x 4 patches).
        labels: the N ground-truth texts, unnormalised.
    """
    if pool not in ('mean', 'concat'):
        raise ValueError(f"pool must be 'mean' or 'concat', got {pool!r}")
    if cache and osp.isfile(cache):
        data = torch.load(cache, map_location='cpu', weights_only=True)
        return data['feats'], list(data['labels'])
    if data_preprocessor is None:
        data_preprocessor = default_data_preprocessor()
    data_preprocessor = data_preprocessor.to(device)
    was_training = backbone.training
    backbone.eval()
    feats, labels = [], []
    try:
        for batch in _batches(dataset_or_loader, batch_size):
            data = data_preprocessor(batch, False)
            out = backbone(data['inputs'].to(device))
            if isinstance(out, (tuple, list)):
                out = out[-1]
            if out.dim() != 4:
                raise ValueError('the backbone must return an (N, C, H, W) '
                                 f'map, got shape {tuple(out.shape)}')
            pooled = out.mean(dim=2) if pool == 'mean' else out.flatten(1, 2)
            feats.append(pooled.float().cpu())
            labels.extend(ds.gt_text.item for ds in batch['data_samples'])
    finally:
        backbone.train(was_training)
    if not feats:
        raise ValueError('no sample to extract features from')
    feats = torch.cat(feats)
    if cache:
        os.makedirs(osp.dirname(osp.abspath(cache)), exist_ok=True)
        tmp = cache + '.tmp'
        torch.save(dict(feats=feats, labels=labels), tmp)
        os.replace(tmp, cache)
    return feats, labels


class LinearCTCProbe(nn.Module):
    """One linear layer per frame: C features -> ``len(charset) + 1``
    logits, index 0 being the CTC blank and ``i + 1`` ``charset[i]``.

    Features are standardised per channel with ``mean`` / ``std`` buffers
    (set by :func:`train_probe` from the training features; identity by
    default), which only rescales the linear map but makes one learning
    rate suit every encoder.

    Args:
        in_dims: C, the feature width.
        charset: The characters; default the 36 lowercase alphanumerics.
    """

    def __init__(self, in_dims: int, charset: str = PROTOCOL_CHARSET) -> None:
        super().__init__()
        if len(set(charset)) != len(charset) or not charset:
            raise ValueError(f'charset must be non-empty and without '
                             f'repeats, got {charset!r}')
        self.in_dims = in_dims
        self.charset = charset
        self.char_to_idx = {c: i + 1 for i, c in enumerate(charset)}
        self.fc = nn.Linear(in_dims, len(charset) + 1)
        self.register_buffer('mean', torch.zeros(in_dims))
        self.register_buffer('std', torch.ones(in_dims))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        """(N, C, T) features -> (N, T, len(charset) + 1) logits."""
        x = feats.transpose(1, 2)
        return self.fc((x - self.mean) / self.std)

    def encode(self, text: str) -> List[int]:
        """Class indices of a normalised text (unknown characters dropped)."""
        return [self.char_to_idx[c] for c in text if c in self.char_to_idx]

    @torch.no_grad()
    def decode(self, feats: torch.Tensor) -> List[str]:
        """Greedy CTC decoding: (N, C, T) -> N strings (best class per
        frame, repeats merged, blanks removed)."""
        best = self(feats).argmax(-1)  # (N, T)
        out = []
        for row in best.tolist():
            chars, prev = [], 0
            for k in row:
                if k != prev and k != 0:
                    chars.append(self.charset[k - 1])
                prev = k
            out.append(''.join(chars))
        return out


def _ctc_min_frames(target: Sequence[int]) -> int:
    """Frames CTC needs for a target: its length plus one blank between
    each pair of equal neighbours."""
    return len(target) + sum(a == b for a, b in zip(target, target[1:]))


def train_probe(feats: torch.Tensor,
                labels: Sequence[str],
                epochs: int = 30,
                lr: float = 1e-2,
                batch_size: int = 256,
                seed: int = 0,
                weight_decay: float = 1e-4,
                charset: str = PROTOCOL_CHARSET,
                schedule: str = 'constant') -> LinearCTCProbe:
    """Train a :class:`LinearCTCProbe` on frozen features.

    Args:
        feats: (N, C, T) float features (:func:`extract_features`).
        labels: N texts; normalised with :func:`normalize_label`. Empty
            ones and those that need more than T frames under CTC are
            skipped.
        epochs: Passes over the kept samples.
        lr: AdamW (peak) learning rate.
        batch_size: Mini-batch size.
        seed: Seeds the probe's initialisation and the shuffling (the
            global RNG state is left untouched).
        weight_decay: AdamW weight decay.
        charset: Probe characters.
        schedule: ``'constant'`` or ``'cosine'`` (linear warm-up over the
            first 10% of the steps, then cosine decay to 0; helps the probe
            leave the CTC all-blank plateau with a high peak rate).

    Returns:
        The trained probe in eval mode; ``probe.train_stats`` holds
        ``kept``, ``skipped_empty``, ``skipped_too_long`` and
        ``final_loss``.
    """
    if schedule not in ('constant', 'cosine'):
        raise ValueError(f"schedule must be 'constant' or 'cosine', got "
                         f'{schedule!r}')
    if feats.dim() != 3 or feats.shape[0] != len(labels):
        raise ValueError(f'feats must be (N, C, T) with N = len(labels) = '
                         f'{len(labels)}, got {tuple(feats.shape)}')
    num_frames = feats.shape[2]
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        probe = LinearCTCProbe(feats.shape[1], charset)
    keep, targets = [], []
    skipped_empty = skipped_long = 0
    for i, label in enumerate(labels):
        target = probe.encode(normalize_label(label))
        if not target:
            skipped_empty += 1
        elif _ctc_min_frames(target) > num_frames:
            skipped_long += 1
        else:
            keep.append(i)
            targets.append(torch.tensor(target, dtype=torch.long))
    if not keep:
        raise ValueError('no usable label to train the probe on')
    x = feats[keep].float()
    probe.mean.copy_(x.mean(dim=(0, 2)))
    probe.std.copy_(x.std(dim=(0, 2)).clamp(min=1e-6))
    opt = torch.optim.AdamW(probe.parameters(), lr=lr,
                            weight_decay=weight_decay)
    total = epochs * math.ceil(len(keep) / batch_size)
    warmup = max(1, total // 10)

    def factor(step: int) -> float:
        if schedule == 'constant':
            return 1.0
        if step < warmup:
            return (step + 1) / warmup
        return 0.5 * (1 + math.cos(math.pi * (step - warmup) /
                                   max(1, total - warmup)))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, factor)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    gen = torch.Generator().manual_seed(seed)
    loss = torch.tensor(float('nan'))
    probe.train()
    for _ in range(epochs):
        order = torch.randperm(len(keep), generator=gen)
        for start in range(0, len(keep), batch_size):
            idx = order[start:start + batch_size]
            tgt = [targets[j] for j in idx.tolist()]
            log_probs = F.log_softmax(probe(x[idx]), -1).transpose(0, 1)
            loss = ctc(log_probs, torch.cat(tgt),
                       torch.full((len(idx), ), num_frames, dtype=torch.long),
                       torch.tensor([len(t) for t in tgt]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    probe.eval()
    probe.train_stats = dict(kept=len(keep), skipped_empty=skipped_empty,
                             skipped_too_long=skipped_long,
                             final_loss=float(loss.detach()))
    return probe


def probe_predict(probe: LinearCTCProbe, feats: torch.Tensor,
                  batch_size: int = 1024) -> List[str]:
    """Greedy decodes of (N, C, T) features, in batches."""
    preds: List[str] = []
    for start in range(0, feats.shape[0], batch_size):
        preds.extend(probe.decode(feats[start:start + batch_size].float()))
    return preds


def probe_word_accuracy(probe: LinearCTCProbe, feats: torch.Tensor,
                        labels: Sequence[str]) -> float:
    """Word accuracy ignoring case and symbols.

    Both the prediction and the label are normalised with
    :func:`normalize_label`; labels empty after normalisation are left out
    (as the datasets' label rule drops them). Labels longer than the probe
    can emit stay in the denominator (they count as errors).

    Args:
        probe: A trained probe.
        feats: (N, C, T) features.
        labels: N texts.

    Returns:
        Fraction of exact matches in [0, 1] (0.0 when no label is usable).
    """
    _, pairs = _decoded_pairs(probe, feats, labels)
    if not pairs:
        return 0.0
    return sum(p == t for p, t in pairs) / len(pairs)


def _decoded_pairs(probe: LinearCTCProbe, feats: torch.Tensor,
                   labels: Sequence[str]
                   ) -> Tuple[List[int], List[Tuple[str, str]]]:
    """Indices of the labels that are non-empty once normalised, and their
    (greedy decode, normalised label) pairs."""
    preds = probe_predict(probe, feats)
    normed = [normalize_label(t) for t in labels]
    keep = [i for i, t in enumerate(normed) if t]
    return keep, [(preds[i], normed[i]) for i in keep]


@torch.no_grad()
def probe_metrics(probe: LinearCTCProbe, feats: torch.Tensor,
                  labels: Sequence[str]) -> dict:
    """Word accuracy and two graded measures that still separate encoders
    when few words are read exactly.

    Args:
        probe: A trained probe.
        feats: (N, C, T) features.
        labels: N texts (normalised with :func:`normalize_label`; empty ones
            are left out).

    Returns:
        dict with ``word_acc`` (as :func:`probe_word_accuracy`),
        ``one_minus_ned`` (mean of 1 - normalised Levenshtein distance
        between prediction and label, MMOCR's ``1-N.E.D``) and ``ctc_loss``
        (mean per-word CTC negative log-likelihood divided by the label
        length, over the labels the probe can emit in T frames; lower is
        better), and ``n`` (labels counted).
    """
    from rapidfuzz.distance import Levenshtein
    keep, pairs = _decoded_pairs(probe, feats, labels)
    if not keep:
        return dict(word_acc=0.0, one_minus_ned=0.0,
                    ctc_loss=float('nan'), n=0)
    word_acc = sum(p == t for p, t in pairs) / len(pairs)
    ned = sum(1 - Levenshtein.normalized_distance(p, t)
              for p, t in pairs) / len(pairs)
    num_frames = feats.shape[2]
    losses = []
    ctc = nn.CTCLoss(blank=0, reduction='none', zero_infinity=False)
    for start in range(0, len(keep), 512):
        idx = keep[start:start + 512]
        targets = [probe.encode(t)
                   for _, t in pairs[start:start + 512]]
        ok = [k for k, t in enumerate(targets)
              if t and _ctc_min_frames(t) <= num_frames]
        if not ok:
            continue
        x = feats[[idx[k] for k in ok]].float()
        tgt = [targets[k] for k in ok]
        log_probs = F.log_softmax(probe(x), -1).transpose(0, 1)
        lens = torch.tensor([len(t) for t in tgt])
        loss = ctc(log_probs, torch.tensor(sum(tgt, [])),
                   torch.full((len(ok), ), num_frames, dtype=torch.long),
                   lens)
        losses.extend((loss / lens).tolist())
    ctc_loss = sum(losses) / len(losses) if losses else float('nan')
    return dict(word_acc=word_acc, one_minus_ned=ned, ctc_loss=ctc_loss,
                n=len(pairs))
