"""bench_engine_torch.py — the PyTorch side of `make bench-engine`.

The same model as bench/bench_engine.c: a pre-norm transformer stack (L
blocks of LN → QKV → masked attention → proj → residual → LN → fc → GELU(tanh)
→ proj → residual, then a final LN), omni-attention mask [B,T,T], no LM head;
training = forward, backward of a fixed output gradient, AdamW step.
Written the natural PyTorch way (nn.Linear, nn.LayerNorm, matmul + masked
softmax), float32, CPU, torch.set_num_threads(threads), no autocast.

usage: /usr/bin/python3 tools/bench_engine_torch.py L C NH F T B THREADS REPS
prints one line: "torch fwd_b16_ms X fwd_b1_ms Y train_ms Z"  (medians)"""
import math
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, C, NH, FF):
        super().__init__()
        self.NH = NH
        self.ln1, self.ln2 = nn.LayerNorm(C), nn.LayerNorm(C)
        self.qkv, self.proj = nn.Linear(C, 3 * C), nn.Linear(C, C)
        self.fc, self.fcproj = nn.Linear(C, FF), nn.Linear(FF, C)

    def forward(self, x, mask):  # x [B,T,C], mask [B,1,T,T] bool (True = may attend)
        B, T, C = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(C, dim=2)
        q, k, v = (t.view(B, T, self.NH, C // self.NH).transpose(1, 2) for t in (q, k, v))
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(C // self.NH))
        att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
        att = torch.nan_to_num(att)  # rows with no allowed key (padding) → 0, as the C op
        y = (att @ v).transpose(1, 2).reshape(B, T, C)
        x = x + self.proj(y)
        return x + self.fcproj(F.gelu(self.fc(self.ln2(x)), approximate="tanh"))


class Stack(nn.Module):
    def __init__(self, L, C, NH, FF):
        super().__init__()
        self.blocks = nn.ModuleList(Block(C, NH, FF) for _ in range(L))
        self.lnf = nn.LayerNorm(C)

    def forward(self, x, mask):
        for b in self.blocks:
            x = b(x, mask)
        return self.lnf(x)


def omni_mask(B, T):
    """text causal prefix of T/4 tokens, image tokens see all text + all image
    tokens; the last 3 positions of odd batch rows are padding (see/seen by none)."""
    nt = T // 4
    m = torch.zeros(B, T, T, dtype=torch.bool)
    m[:, :nt, :nt] = torch.tril(torch.ones(nt, nt, dtype=torch.bool))
    m[:, nt:, :] = True
    for b in range(1, B, 2):
        m[b, :, T - 3:] = False
        m[b, T - 3:, :] = False
    return m.unsqueeze(1)


def median_ms(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1e3)
    ts.sort()
    return ts[len(ts) // 2]


def main():
    L, C, NH, FF, T, B, threads, reps = map(int, sys.argv[1:9])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Stack(L, C, NH, FF)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, weight_decay=0.01)
    x16, x1 = torch.randn(B, T, C), torch.randn(1, T, C)
    m16, m1 = omni_mask(B, T), omni_mask(1, T)
    dout = torch.randn(B, T, C) * 1e-3

    def fwd16():
        with torch.no_grad():
            model(x16, m16)

    def fwd1():
        with torch.no_grad():
            model(x1, m1)

    def train():
        opt.zero_grad(set_to_none=False)
        model(x16, m16).backward(dout)
        opt.step()

    for fn in (fwd16, fwd1, train):  # warm up
        fn()
        fn()
    f16 = median_ms(fwd16, reps)
    f1 = median_ms(fwd1, 4 * reps)
    tr = median_ms(train, reps)
    print(f"torch fwd_b16_ms {f16:.3f} fwd_b1_ms {f1:.3f} train_ms {tr:.3f}")


if __name__ == "__main__":
    main()
