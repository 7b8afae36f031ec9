"""make_fixtures_nn.py — PyTorch golden fixtures for tests/test_nn.c.

Run with Debian's torch:  /usr/bin/python3 tools/make_fixtures_nn.py
Writes tests/fixtures/nn_*.safetensors (each < 1 MB), deterministic (seeded):
  nn_dtypes      float32 values and torch's F16 / BF16 bit patterns for them
  nn_adamw       torch.optim.AdamW on given grads (decay / no-decay groups), 10 steps
  nn_block       a 2-block pre-norm transformer stack (+ final LN) forward and
                 backward with an omni-attention mask (causal text prefix with
                 padding, image tokens see all text + all image tokens)
  nn_train       a tiny LM (embedding → 2-block stack → head → cross-entropy)
                 trained 10 steps: clip_grad_norm_, warmup+cosine LR, AdamW
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


# ---- the transformer stack, written functionally with the C engine's parameter names ----
def stack_names(L):
    names = []
    for l in range(L):
        for n in ("ln1.weight", "ln1.bias", "attn.qkv.weight", "attn.qkv.bias", "attn.proj.weight", "attn.proj.bias",
                  "ln2.weight", "ln2.bias", "mlp.fc.weight", "mlp.fc.bias", "mlp.proj.weight", "mlp.proj.bias"):
            names.append(f"blocks.{l}.{n}")
    return names + ["ln_f.weight", "ln_f.bias"]


def stack_params(L, C, F_, g):
    P = {}
    for n in stack_names(L):
        if n.endswith("qkv.weight"):
            shape = (3 * C, C)
        elif n.endswith("proj.weight") and "attn" in n:
            shape = (C, C)
        elif n.endswith("fc.weight"):
            shape = (F_, C)
        elif n.endswith("mlp.proj.weight"):
            shape = (C, F_)
        elif n.endswith("qkv.bias"):
            shape = (3 * C,)
        elif n.endswith("fc.bias"):
            shape = (F_,)
        else:
            shape = (C,)
        if "ln" in n and n.endswith("weight"):
            t = 1.0 + 0.1 * torch.randn(shape, generator=g)
        elif n.endswith("bias"):
            t = 0.1 * torch.randn(shape, generator=g)
        else:
            t = torch.randn(shape, generator=g) / math.sqrt(shape[1])
        P[n] = t.float().requires_grad_(True)
    return P


def attention(qkv, mask, NH):
    """qkv [B,T,3C], mask [B,T,T] bool → [B,T,C]; rows with no allowed key give 0."""
    B, T, C3 = qkv.shape
    C = C3 // 3
    q, k, v = qkv.split(C, dim=2)
    q, k, v = (t.view(B, T, NH, C // NH).transpose(1, 2) for t in (q, k, v))
    s = (q @ k.transpose(-2, -1)) / math.sqrt(C // NH)
    m = mask.unsqueeze(1)
    p = s.masked_fill(~m, -1e30).softmax(dim=-1) * m.any(dim=-1, keepdim=True)
    return (p @ v).transpose(1, 2).reshape(B, T, C)


def stack_forward(P, x, mask, L, NH):
    C = x.shape[-1]
    for l in range(L):
        b = f"blocks.{l}."
        h = F.layer_norm(x, (C,), P[b + "ln1.weight"], P[b + "ln1.bias"], 1e-5)
        y = attention(F.linear(h, P[b + "attn.qkv.weight"], P[b + "attn.qkv.bias"]), mask, NH)
        x = x + F.linear(y, P[b + "attn.proj.weight"], P[b + "attn.proj.bias"])
        h = F.layer_norm(x, (C,), P[b + "ln2.weight"], P[b + "ln2.bias"], 1e-5)
        h = F.gelu(F.linear(h, P[b + "mlp.fc.weight"], P[b + "mlp.fc.bias"]), approximate="tanh")
        x = x + F.linear(h, P[b + "mlp.proj.weight"], P[b + "mlp.proj.bias"])
    return F.layer_norm(x, (C,), P["ln_f.weight"], P["ln_f.bias"], 1e-5)


def omni_mask(text_lens, TXT, T):
    """[B,T,T] bool: real text tokens [0,n) attend causally; pad slots [n,TXT)
    attend nothing and are attended by nobody; image tokens [TXT,T) attend the
    real text and every image token."""
    B = len(text_lens)
    m = torch.zeros(B, T, T, dtype=torch.bool)
    for b, n in enumerate(text_lens):
        m[b, :n, :n] = torch.tril(torch.ones(n, n, dtype=torch.bool))
        m[b, TXT:, :n] = True
        m[b, TXT:, TXT:] = True
    return m


def make_block():
    g = torch.Generator().manual_seed(3)
    L, C, NH, F_, B, TXT, T = 2, 32, 4, 96, 3, 6, 14
    P = stack_params(L, C, F_, g)
    x = torch.randn(B, T, C, generator=g).requires_grad_(True)
    mask = omni_mask([4, 6, 2], TXT, T)
    y = stack_forward(P, x, mask, L, NH)
    dy = torch.randn(B, T, C, generator=g)
    y.backward(dy)
    out = {"x": x.detach(), "mask": mask.int(), "y": y.detach(), "dy": dy, "dx": x.grad}
    for n, t in P.items():
        out["param." + n] = t.detach()
        out["grad." + n] = t.grad
    fixture_io.save(os.path.join(OUT, "nn_block.safetensors"), out,
                    {"L": L, "C": C, "NH": NH, "F": F_, "B": B, "T": T})


def lr_cosine(step, warmup, total, lr_max, lr_min):
    """= parm_lr_cosine (step counts from 1)."""
    if warmup > 0 and step <= warmup:
        return lr_max * step / warmup
    p = min(max((step - warmup) / (total - warmup), 0.0), 1.0)
    return lr_min + 0.5 * (lr_max - lr_min) * (1 + math.cos(math.pi * p))


def make_train():
    g = torch.Generator().manual_seed(4)
    L, C, NH, F_, V, B, TXT, T, steps = 2, 32, 4, 64, 48, 2, 4, 10, 10
    P = stack_params(L, C, F_, g)
    P["tok_emb.weight"] = (0.5 * torch.randn(V, C, generator=g)).requires_grad_(True)
    P["head.weight"] = (torch.randn(V, C, generator=g) / math.sqrt(C)).requires_grad_(True)
    P["head.bias"] = torch.zeros(V).requires_grad_(True)
    init = {n: t.detach().clone() for n, t in P.items()}
    decay = [t for n, t in P.items() if t.dim() == 2]
    no_decay = [t for n, t in P.items() if t.dim() != 2]
    wd, lr_max, lr_min, warmup, clip = 0.1, 2e-2, 2e-3, 3, 0.5
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": wd}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr_max, betas=(0.9, 0.95), eps=1e-8)
    mask = omni_mask([3, 4], TXT, T)
    ids = torch.randint(0, V, (steps, B, T), generator=g)
    tgt = torch.randint(0, V, (steps, B, T), generator=g)
    tgt[:, :, :2] = -100  # ignored positions
    losses, norms = [], []
    for s in range(steps):
        opt.zero_grad()
        x = F.embedding(ids[s], P["tok_emb.weight"])
        h = stack_forward(P, x, mask, L, NH)
        logits = F.linear(h, P["head.weight"], P["head.bias"])
        loss = F.cross_entropy(logits.view(-1, V), tgt[s].view(-1), ignore_index=-100)
        loss.backward()
        norms.append(float(torch.nn.utils.clip_grad_norm_(list(P.values()), clip)))
        for grp in opt.param_groups:
            grp["lr"] = lr_cosine(s + 1, warmup, steps, lr_max, lr_min)
        opt.step()
        losses.append(float(loss))
    out = {"ids": ids.int(), "targets": tgt.int(), "mask": mask.int(), "losses": torch.tensor(losses),
           "grad_norms": torch.tensor(norms)}
    for n in P:
        out["init." + n] = init[n]
        out["final." + n] = P[n].detach()
    fixture_io.save(os.path.join(OUT, "nn_train.safetensors"), out,
                    {"L": L, "C": C, "NH": NH, "F": F_, "V": V, "B": B, "T": T, "steps": steps, "wd": wd,
                     "lr_max": lr_max, "lr_min": lr_min, "warmup": warmup, "clip": clip, "beta2": 0.95})


def main():
    os.makedirs(OUT, exist_ok=True)
    torch.set_num_threads(1)
    make_dtypes()
    make_adamw()
    make_block()
    make_train()
    for f in sorted(os.listdir(OUT)):
        if f.startswith("nn_"):
            print(f"{f}: {os.path.getsize(os.path.join(OUT, f))} bytes")


if __name__ == "__main__":
    main()
