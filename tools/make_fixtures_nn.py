"""make_fixtures_nn.py — PyTorch golden fixtures for tests/test_nn.c.

Run with Debian's torch:  /usr/bin/python3 tools/make_fixtures_nn.py
Writes tests/fixtures/nn_*.safetensors (each < 1 MB), deterministic (seeded):
  nn_dtypes      float32 values and torch's F16 / BF16 bit patterns for them
  nn_adamw       torch.optim.AdamW on given grads (decay / no-decay groups), 10 steps
  nn_mlp         2-layer MLP (linear-gelu-linear-cross-entropy) trained 10 AdamW steps
  nn_block       a pre-norm transformer block forward+backward, omni-attention mask
The C tests never need Python; this script only regenerates the files."""
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")


def bits16(t):
    """int32 tensor of the raw 16-bit patterns of a float16 / bfloat16 tensor."""
    return t.view(torch.int16).to(torch.int32) & 0xFFFF


def make_dtypes():
    g = torch.Generator().manual_seed(1)
    parts = [torch.randn(256, generator=g) * 10.0 ** torch.randint(-9, 6, (256,), generator=g).float()]
    one = 1.0
    special = [0.0, -0.0, one, -one, 65504.0, 65519.99, 65520.0, 1e6, -1e6, 2.0 ** -14, 2.0 ** -24, 2.0 ** -25,
               1.5 * 2.0 ** -25, 2.0 ** -26, 3 * 2.0 ** -25, 0.1, 1 / 3, float("inf"), float("-inf"),
               1 + 2.0 ** -11, 1 + 3 * 2.0 ** -11, 1 + 2.0 ** -8, 1 + 3 * 2.0 ** -8, 3.0e38, -3.4e38, 1e-40]
    parts.append(torch.tensor(special, dtype=torch.float32))
    x = torch.cat(parts).float()
    fixture_io.save(os.path.join(OUT, "nn_dtypes.safetensors"), {
        "x": x,
        "f16_bits": bits16(x.half()),
        "bf16_bits": bits16(x.bfloat16()),
        "x_f16": x.half(),
        "x_f16_as_f32": x.half().float(),
    })


def make_adamw():
    torch.manual_seed(2)
    p1 = torch.randn(4, 3)
    p2 = torch.randn(3)
    init1, init2 = p1.clone(), p2.clone()
    P1, P2 = torch.nn.Parameter(p1), torch.nn.Parameter(p2)
    lr0, wd = 1e-2, 0.1
    opt = torch.optim.AdamW([{"params": [P1], "weight_decay": wd}, {"params": [P2], "weight_decay": 0.0}],
                            lr=lr0, betas=(0.9, 0.999), eps=1e-8)
    steps = 10
    g1 = torch.randn(steps, 4, 3)
    g2 = torch.randn(steps, 3) * 1e-3
    lrs = torch.tensor([lr0 * (0.5 + 0.05 * i) for i in range(steps)])
    for s in range(steps):
        for grp in opt.param_groups:
            grp["lr"] = float(lrs[s])
        P1.grad, P2.grad = g1[s].clone(), g2[s].clone()
        opt.step()
    st1 = opt.state[P1]
    fixture_io.save(os.path.join(OUT, "nn_adamw.safetensors"), {
        "init.p1": init1, "init.p2": init2, "grads.p1": g1, "grads.p2": g2, "lrs": lrs.float(),
        "final.p1": P1.data, "final.p2": P2.data, "final.m.p1": st1["exp_avg"], "final.v.p1": st1["exp_avg_sq"],
    }, {"weight_decay": wd})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    make_dtypes()
    make_adamw()
    for f in sorted(os.listdir(OUT)):
        if f.startswith("nn_"):
            print(f"{f}: {os.path.getsize(os.path.join(OUT, f))} bytes")


if __name__ == "__main__":
    main()
