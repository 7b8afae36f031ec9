"""bench_gen_torch.py — the PyTorch side of `make bench-gen`.

The same generator as include/parm/gen.h / src/models/gen.c (and the golden
fixture tools/make_fixtures_gen.py), written the natural PyTorch way
(nn.Embedding, nn.Linear, nn.LayerNorm, matmul + masked softmax), float32,
CPU, torch.set_num_threads(THREADS), no autocast, random weights:
  input   [TT text tokens][64 image positions], position p = sum over its 4
          slots of emb.image[slot·(K+1) + token] (K = MASK), + emb.pos
  mask    Show-o omni-attention: causal over the non-pad text, pad rows see BOS,
          image positions see all non-pad text and all image positions
  stack   L pre-norm blocks (LN → QKV → attention → proj → residual → LN → fc →
          GELU(tanh) → proj → residual) and a final LN
  head    image positions → 4·K logits = [B·256, K] rows
Sampler forward: batch B = 2·paths, first half the prompt (N_TEXT non-pad text
tokens), second half the null prompt [BOS] (CFG), half the image tokens MASK;
no_grad. Training step at batch TRAIN_B: zero_grad, forward, cross-entropy over
the masked tokens (per-row cosine mask ratio, as gen_train.c), backward,
clip_grad_norm_(1.0), AdamW (weight decay on matrices only, as the C slab).
Inputs and masks are built once, outside the timings.

usage: /usr/bin/python3 tools/bench_gen_torch.py L C NH F K TT V N_TEXT THREADS REPS TRAIN_B B1,B2,...
prints, medians over REPS (after 2 warm-up calls):
  torch fwd B <b> ms <x>        one line per forward batch
  torch train B <b> ms <x>"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_engine_torch import Block  # noqa: E402  (the same pre-norm block)
from bench_engine_torch import median_ms as timed_median_ms  # noqa: E402


class Gen(nn.Module):
    def __init__(self, L, C, NH, FF, K, TT, V):
        super().__init__()
        self.K, self.TT = K, TT
        self.text = nn.Embedding(V, C)
        self.image = nn.Embedding(4 * (K + 1), C)
        self.pos = nn.Parameter(0.02 * torch.randn(TT + 64, C))
        self.blocks = nn.ModuleList(Block(C, NH, FF) for _ in range(L))
        self.lnf = nn.LayerNorm(C)
        self.head = nn.Linear(C, 4 * K)
        for e in (self.text, self.image):
            nn.init.normal_(e.weight, std=0.02)

    def forward(self, text, img_ids, mask):
        """text [B,TT] ids; img_ids [B,256] in (position, slot) order with the
        slot offset s·(K+1) added; mask [B,1,T,T] → logits [B·256, K]."""
        B, C = text.shape[0], self.pos.shape[1]
        xi = self.image(img_ids).view(B, 64, 4, C).sum(2)
        x = torch.cat([self.text(text), xi], 1) + self.pos
        for b in self.blocks:
            x = b(x, mask)
        return self.head(self.lnf(x)[:, self.TT:]).reshape(B * 256, self.K)


def omni_mask(lens, TT):
    T = TT + 64
    m = torch.zeros(len(lens), T, T, dtype=torch.bool)
    for b, n in enumerate(lens):
        m[b, :n, :n] = torch.tril(torch.ones(n, n, dtype=torch.bool))
        m[b, n:TT, 0] = True
        m[b, TT:, :n] = True
        m[b, TT:, TT:] = True
    return m.unsqueeze(1)


def inputs(B, lens, TT, V, K, masked):
    """text ids with lens[b] non-pad tokens (BOS first), image ids with the
    boolean `masked` [B,256] positions set to MASK, slot offsets added."""
    text = torch.zeros(B, TT, dtype=torch.long)
    for b, n in enumerate(lens):
        text[b, 0] = 1
        text[b, 1:n] = torch.randint(4, V, (n - 1,))
    tok = torch.where(masked, torch.full((B, 256), K), torch.randint(0, K, (B, 256)))
    return text, tok + (torch.arange(4) * (K + 1)).repeat(64), omni_mask(lens, TT)


def median_ms(fn, reps):
    fn()
    fn()  # warm-up
    return timed_median_ms(fn, reps)


def main():
    L, C, NH, FF, K, TT, V, n_text, threads, reps, train_b = map(int, sys.argv[1:12])
    fwd_bs = [int(b) for b in sys.argv[12].split(",")]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    model = Gen(L, C, NH, FF, K, TT, V)
    decay = [p for n, p in model.named_parameters() if p.dim() == 2 and n.startswith(("blocks", "head"))]
    other = [p for n, p in model.named_parameters() if not (p.dim() == 2 and n.startswith(("blocks", "head")))]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": other, "weight_decay": 0.0}],
                            lr=1e-4)

    for B in fwd_bs:  # sampler step: cond half + null-prompt half, half the tokens masked
        lens = [n_text] * (B // 2) + [1] * (B - B // 2)
        text, ids, mask = inputs(B, lens, TT, V, K, torch.rand(B, 256) < 0.5)

        def fwd():
            with torch.no_grad():
                model(text, ids, mask)

        print(f"torch fwd B {B} ms {median_ms(fwd, reps):.3f}", flush=True)

    # training: 10 % null prompts, MaskGIT cosine mask ratio per row
    lens = [1 if b % 10 == 9 else n_text for b in range(train_b)]
    ratio = torch.cos(0.5 * math.pi * torch.rand(train_b, 1))
    masked = torch.rand(train_b, 256) < ratio
    masked[:, 0] = True
    text, ids, mask = inputs(train_b, lens, TT, V, K, masked)
    targets = torch.where(masked, torch.randint(0, K, (train_b, 256)), torch.full((train_b, 256), -1)).reshape(-1)
    keep = targets >= 0
    weights = torch.ones(train_b * 256)

    def train():
        opt.zero_grad(set_to_none=False)
        logits = model(text, ids, mask)
        nll = F.cross_entropy(logits[keep], targets[keep], reduction="none")
        loss = (nll * weights[keep]).sum() / weights[keep].sum()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    print(f"torch train B {train_b} ms {median_ms(train, reps):.3f}", flush=True)


if __name__ == "__main__":
    main()
