"""Pretraining step throughput: our MMS vs mmpretrain's MAE at equal work.

Equal work: same encoder width/depth, same decoder, same batch, same token
count (mmpretrain's MAE is square-only, so it gets 64 x 64 images with
patch 4 = 256 tokens; ours 32 x 128 = 256 tokens), same mask ratio. Both run
forward + backward + AdamW step; the two are alternated several times in one
process and the median ratio is reported.
"""
import statistics
import time
from typing import Dict, List, Optional, Tuple

import torch

__all__ = [
    'analytic_flops', 'matmul_rate', 'build_mms', 'build_mae', 'time_steps',
    'compare_step_throughput', 'variable_count_cost', 'peak_step_memory',
    'profile_step'
]


def analytic_flops(enc_dims: int, enc_layers: int, dec_dims: int,
                   dec_layers: int, tokens: int, visible: int,
                   patch_dim: int, mlp_ratio: float = 4.0) -> Dict[str, float]:
    """Matmul FLOPs of one image (multiply-add = 2 FLOPs).

    Per transformer layer on T tokens of width d: qkv 6Td^2, projection
    2Td^2, MLP 4*r*Td^2, attention scores and weighted sum 4T^2 d. Plus the
    patch embedding of all tokens, the decoder input projection of the
    visible tokens (the FLOPs the method needs; our decoder projects all
    positions, which is 0.5% more work and not counted) and the pixel
    prediction. Training = 3 x forward (backward ~ 2 x forward).
    """

    def layer(t, d):
        return (8 + 4 * mlp_ratio) * t * d * d + 4 * t * t * d

    fwd = (2 * tokens * patch_dim * enc_dims  # patch embedding
           + enc_layers * layer(visible, enc_dims)
           + 2 * visible * enc_dims * dec_dims  # decoder embed, visible only
           + dec_layers * layer(tokens, dec_dims)
           + 2 * tokens * dec_dims * patch_dim)  # pixel prediction
    return dict(forward=fwd, train=3 * fwd)


def matmul_rate(n: int = 2048, dtype=torch.float32, device='cpu',
                repeats: int = 5) -> float:
    """FLOP/s of an n^3 matrix multiply (the machine's practical peak)."""
    a = torch.randn(n, n, dtype=dtype, device=device)
    b = torch.randn(n, n, dtype=dtype, device=device)
    torch.mm(a, b)
    _sync(device)
    best = float('inf')
    for _ in range(repeats):
        start = time.perf_counter()
        torch.mm(a, b)
        _sync(device)
        best = min(best, time.perf_counter() - start)
    return 2 * n**3 / best


def _sync(device) -> None:
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()


def _random_masks(n: int, grid: Tuple[int, int], counts: List[int],
                  seed: int = 0) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    length = grid[0] * grid[1]
    masks = torch.zeros(n, length, dtype=torch.bool)
    for i in range(n):
        c = counts[i % len(counts)]
        masks[i, torch.randperm(length, generator=g)[:c]] = True
    return masks.reshape(n, *grid)


def build_mms(enc: dict, dec: dict, batch: int, mask_counts: List[int],
              device='cpu', batching: str = 'bucket',
              compile_model: bool = False):
    """(model, step inputs) for our MMS at 32 x 128, patch 4."""
    import mmocr_mms  # noqa: F401
    from mmocr.registry import MODELS
    from mmocr.structures import TextRecogDataSample
    model = MODELS.build(
        dict(type='MMS', encoder_batching=batching, compile=compile_model,
             backbone=dict(type='TextViT', arch=enc),
             decoder=dict(type='MIMPixelDecoder', **dec))).to(device)
    inputs = torch.randn(batch, 3, 32, 128, device=device)
    samples = []
    for m in _random_masks(batch, (8, 32), mask_counts):
        ds = TextRecogDataSample()
        ds.set_field(m.to(device), 'mask')
        ds.set_metainfo(dict(mask_type='random'))
        samples.append(ds)
    return model, (inputs, samples)


def build_mae(enc: dict, dec: dict, batch: int, mask_ratio: float,
              device='cpu'):
    """(model, step inputs) for mmpretrain's MAE at 64 x 64, patch 4."""
    import mmocr_mms  # noqa: F401  (mmpretrain next to transformers 5)
    from mmocr_mms.utils.optional import import_optional
    import_optional('mmpretrain.models', "the training-step benchmark "
                    "(mmpretrain's MAE)")
    from mmpretrain.registry import MODELS
    arch = dict(embed_dims=enc['embed_dims'], num_layers=enc['num_layers'],
                num_heads=enc['num_heads'],
                feedforward_channels=int(enc['embed_dims'] *
                                         enc.get('mlp_ratio', 4)))
    model = MODELS.build(
        dict(type='MAE',
             backbone=dict(type='MAEViT', arch=arch, img_size=64,
                           patch_size=4, mask_ratio=mask_ratio),
             neck=dict(type='MAEPretrainDecoder', num_patches=256,
                       patch_size=4, in_chans=3,
                       embed_dim=enc['embed_dims'],
                       decoder_embed_dim=dec['embed_dims'],
                       decoder_depth=dec['num_layers'],
                       decoder_num_heads=dec['num_heads'],
                       mlp_ratio=dec.get('mlp_ratio', 4.)),
             head=dict(type='MAEPretrainHead', norm_pix=True, patch_size=4,
                       loss=dict(type='PixelReconstructionLoss',
                                 criterion='L2')))).to(device)
    inputs = torch.randn(batch, 3, 64, 64, device=device)
    return model, (inputs, None)


def time_steps(model, step_inputs, steps: int, device='cpu',
               autocast_dtype: Optional[torch.dtype] = None,
               optimizer=None) -> float:
    """Seconds per forward + backward + AdamW step (after one warm-up)."""
    if optimizer is None:
        optimizer = torch.optim.AdamW(
            [p for p in model.parameters() if p.requires_grad], lr=1e-4)
    model.train()
    inputs, samples = step_inputs

    def one():
        optimizer.zero_grad(set_to_none=True)
        with torch.autocast(device_type=str(device).split(':')[0],
                            dtype=autocast_dtype,
                            enabled=autocast_dtype is not None):
            loss = model.loss(inputs, samples)['loss']
        loss.backward()
        optimizer.step()

    one()
    _sync(device)
    start = time.perf_counter()
    for _ in range(steps):
        one()
    _sync(device)
    return (time.perf_counter() - start) / steps, optimizer


def compare_step_throughput(enc: dict, dec: dict, batch: int,
                            mask_ratio: float = 0.75, rounds: int = 3,
                            steps: int = 3, device='cpu',
                            autocast_dtype=None,
                            compile_model: bool = False) -> Dict:
    """Alternate MMS and MAE ``rounds`` times; images/s and their ratio."""
    masked = int(round(mask_ratio * 256))
    mms, mms_in = build_mms(enc, dec, batch, [masked], device,
                            compile_model=compile_model)
    mae, mae_in = build_mae(enc, dec, batch, mask_ratio, device)
    ours, theirs, opt_a, opt_b = [], [], None, None
    for _ in range(rounds):
        t, opt_a = time_steps(mms, mms_in, steps, device, autocast_dtype,
                              opt_a)
        ours.append(batch / t)
        t, opt_b = time_steps(mae, mae_in, steps, device, autocast_dtype,
                              opt_b)
        theirs.append(batch / t)
    ratios = [a / b for a, b in zip(ours, theirs)]
    flops = analytic_flops(enc['embed_dims'], enc['num_layers'],
                           dec['embed_dims'], dec['num_layers'], 256,
                           256 - masked, 48, enc.get('mlp_ratio', 4.))
    return dict(mms_img_s=statistics.median(ours),
                mae_img_s=statistics.median(theirs),
                ratio=statistics.median(ratios), ratios=ratios,
                train_flops_per_img=flops['train'])


def variable_count_cost(enc: dict, dec: dict, batch: int, rounds: int = 3,
                        steps: int = 2, device='cpu') -> Dict:
    """MMS step time with a mixed-strategy batch (192/128/102 masked, i.e.
    64/128/154 visible) under 'bucket' and 'pad' batching, against a batch
    where every sample has the mean visible count (equal total tokens)."""
    counts = [192, 128, 102]
    mean_masked = int(round(sum(counts) / len(counts)))
    results = {'bucket': [], 'pad': [], 'fixed': []}
    models = {
        'bucket': build_mms(enc, dec, batch, counts, device, 'bucket'),
        'pad': build_mms(enc, dec, batch, counts, device, 'pad'),
        'fixed': build_mms(enc, dec, batch, [mean_masked], device, 'bucket'),
    }
    opts = {k: None for k in models}
    for _ in range(rounds):
        for k, (model, inputs) in models.items():
            t, opts[k] = time_steps(model, inputs, steps, device, None,
                                    opts[k])
            results[k].append(t)
    med = {k: statistics.median(v) for k, v in results.items()}
    return dict(sec_per_step=med,
                bucket_over_fixed=med['bucket'] / med['fixed'],
                pad_over_fixed=med['pad'] / med['fixed'])


def _memory_worker(kind, enc, dec, batch, mask_ratio, device, queue,
                   autocast_dtype=None):
    import resource
    torch.manual_seed(0)
    if kind == 'mms':
        model, inputs = build_mms(enc, dec, batch,
                                  [int(round(mask_ratio * 256))], device)
    else:
        model, inputs = build_mae(enc, dec, batch, mask_ratio, device)
    if str(device).startswith('cuda'):
        torch.cuda.synchronize()
        base = torch.cuda.memory_allocated()
        torch.cuda.reset_peak_memory_stats()
        time_steps(model, inputs, 1, device, autocast_dtype)
        queue.put((torch.cuda.max_memory_allocated() - base) / 2**20)
        return
    with open('/proc/self/statm') as f:  # resident pages after building
        base = int(f.read().split()[1]) * resource.getpagesize()
    time_steps(model, inputs, 1, device, autocast_dtype)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    queue.put((peak - base) / 2**20)


def peak_step_memory(kind: str, enc: dict, dec: dict, batch: int,
                     mask_ratio: float = 0.75, device='cpu',
                     autocast_dtype=None) -> float:
    """Peak memory of training steps (MiB) beyond the built model, in a
    fresh process so the two models do not share allocator history: on
    CUDA the peak of allocated memory, on CPU the peak resident set size
    minus the resident size after building (activations, gradients,
    optimiser state, allocator slack)."""
    import multiprocessing as mp
    ctx = mp.get_context('spawn')
    queue = ctx.Queue()
    proc = ctx.Process(target=_memory_worker,
                       args=(kind, enc, dec, batch, mask_ratio, device,
                             queue, autocast_dtype))
    proc.start()
    value = queue.get(timeout=1800)
    proc.join()
    return value


# kernel / operator name fragments -> component, first match wins
_COMPONENTS = (
    ('attention', ('flash', 'attention', 'sdpa', 'efficient_attention',
                   'fmha', 'bmm')),
    ('matmul', ('gemm', 'addmm', 'aten::mm', 'matmul', 'linear', 'cutlass',
                'sm90_xmma', 'nvjet', 'ampere_', 'mkl')),
    ('layernorm', ('layer_norm', 'layernorm')),
    ('gelu', ('gelu', )),
    ('softmax', ('softmax', )),
    ('optimizer', ('adam', 'foreach', 'multi_tensor')),
    ('copy/cast', ('copy', 'cat', 'to_copy', 'contiguous', 'index',
                   'gather', 'scatter', 'clone')),
    ('reduction/loss', ('sum', 'mean', 'var', 'mse', 'norm')),
    ('elementwise', ('add', 'mul', 'div', 'sub', 'elementwise', 'fill',
                     'zero', 'where', 'pow', 'sqrt')),
)


def _component(name: str) -> str:
    low = name.lower()
    for comp, keys in _COMPONENTS:
        if any(k in low for k in keys):
            return comp
    return 'other'


def profile_step(enc: dict, dec: dict, batch: int, mask_ratio: float = 0.75,
                 steps: int = 3, device='cpu', autocast_dtype=None,
                 top: int = 12) -> Dict:
    """Where an MMS step's time goes: torch.profiler over ``steps + 1``
    steps (``time_steps`` starts with a warm-up step), self time of each operator (CPU) or kernel (CUDA)
    grouped into components by name.

    Returns:
        dict(total_ms, components={name: share}, top=[(name, ms, share)]).
    """
    from torch.profiler import ProfilerActivity, profile
    masked = int(round(mask_ratio * 256))
    model, inputs = build_mms(enc, dec, batch, [masked], device)
    _, opt = time_steps(model, inputs, 1, device, autocast_dtype)
    cuda = str(device).startswith('cuda')
    acts = [ProfilerActivity.CUDA] if cuda else [ProfilerActivity.CPU]
    with profile(activities=acts) as prof:
        time_steps(model, inputs, steps, device, autocast_dtype, opt)
    rows = []
    for e in prof.key_averages():
        if cuda:
            t = getattr(e, 'self_device_time_total',
                        getattr(e, 'self_cuda_time_total', 0))
        else:
            t = e.self_cpu_time_total
        if t > 0 and (not cuda or e.device_type.name == 'CUDA'):
            rows.append((e.key, t / 1e3))
    total = sum(t for _, t in rows) or 1.0
    comps: Dict[str, float] = {}
    for name, t in rows:
        comps[_component(name)] = comps.get(_component(name), 0.) + t
    rows.sort(key=lambda r: -r[1])
    profiled = steps + 1  # time_steps runs one warm-up step first
    return dict(total_ms=total / profiled,
                components={k: v / total for k, v in
                            sorted(comps.items(), key=lambda kv: -kv[1])},
                top=[(n[:80], t / profiled, t / total)
                     for n, t in rows[:top]])
