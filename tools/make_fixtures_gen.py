"""make_fixtures_gen.py — PyTorch golden fixture for the generator's full
forward/backward (tests/test_gen.c): text + grouped image-token embeddings,
the Show-o omni-attention mask (pad rows see BOS only), the transformer stack
of make_fixtures_nn.py, the 4-slot codebook head and the weighted masked-token
cross-entropy. Writes tests/fixtures/gen_small.safetensors, a valid parm
generator weights file (tiny config) plus inputs, logits, loss and every grad.
Run: /usr/bin/python3 tools/make_fixtures_gen.py"""
import os
import re
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402
from make_fixtures_nn import stack_forward, stack_params  # noqa: E402

src = open(os.path.join(HERE, "..", "src", "models", "text_vocab.c")).read()
body = src[src.index("vocab[] = {"):src.index("};", src.index("vocab[] = {"))]
V = len(re.findall(r'"[^"]*"', body))
L, C, NH, FF, K, TT, B = 2, 32, 4, 64, 16, 8, 3
T = TT + 64


def grid_index(p, s):
    gy, gx, sy, sx = p // 8, p % 8, s // 2, s % 2
    return (2 * gy + sy) * 16 + 2 * gx + sx


order = torch.tensor([grid_index(p, s) for p in range(64) for s in range(4)])  # (p,s) → grid


def gen_logits(P, text, img, lens, L=L, NH=NH, K=K, TT=TT):
    """The generator's forward: logits [B·256, K] in (b,p,s) row order (make_fixtures_dpo.py reuses it)."""
    B, T = text.shape[0], TT + 64
    C = P["emb.pos"].shape[1]
    mask = torch.zeros(B, T, T, dtype=torch.bool)
    for b, n in enumerate(lens):
        mask[b, :n, :n] = torch.tril(torch.ones(n, n, dtype=torch.bool))
        mask[b, n:TT, 0] = True
        mask[b, TT:, :n] = True
        mask[b, TT:, TT:] = True
    xt = P["emb.text"][text]                                        # [B,TT,C]
    ids = img[:, order] + (torch.arange(4) * (K + 1)).repeat(64)     # [B,256] (p,s) order
    xi = P["emb.image"][ids].view(B, 64, 4, C).sum(2)                # [B,64,C]
    x = torch.cat([xt, xi], 1) + P["emb.pos"][None]
    h = stack_forward({k[3:]: v for k, v in P.items() if k.startswith("tf.")}, x, mask, L, NH)
    return F.linear(h[:, TT:], P["head.weight"], P["head.bias"]).reshape(B * 256, K)


def main():
    g = torch.Generator().manual_seed(0)
    P = {"tf." + k: v for k, v in stack_params(L, C, FF, g).items()}
    P["emb.text"] = (0.5 * torch.randn(V, C, generator=g)).requires_grad_()
    P["emb.image"] = (0.5 * torch.randn(4 * (K + 1), C, generator=g)).requires_grad_()
    P["emb.pos"] = (0.5 * torch.randn(T, C, generator=g)).requires_grad_()
    P["head.weight"] = (torch.randn(4 * K, C, generator=g) / C ** 0.5).requires_grad_()
    P["head.bias"] = (0.1 * torch.randn(4 * K, generator=g)).requires_grad_()

    lens = [5, 8, 1]  # non-pad text tokens (BOS included); the last is the null prompt
    text = torch.zeros(B, TT, dtype=torch.long)
    for b, n in enumerate(lens):
        text[b, 0] = 1
        text[b, 1:n] = torch.randint(4, V, (n - 1,), generator=g)
    img = torch.randint(0, K + 1, (B, 256), generator=g)  # K = MASK
    targets = torch.where(img == K, torch.randint(0, K, (B, 256), generator=g), torch.full((B, 256), -1))
    weights = torch.where(torch.rand(B, 256, generator=g) < 0.5, 1.0, 0.3)

    logits = gen_logits(P, text, img, lens)
    tg = targets[:, order].reshape(-1)
    w = weights[:, order].reshape(-1)
    keep = tg >= 0
    nll = F.cross_entropy(logits[keep], tg[keep], reduction="none")
    loss = (nll * w[keep]).sum() / w[keep].sum()
    loss.backward()

    out = {k: v.detach() for k, v in P.items()}
    out.update({"grad." + k: v.grad for k, v in P.items()})
    out.update({"in.text": text.int(), "in.img": img.int(), "in.targets": targets.int(), "in.weights": weights,
                "expect.logits": logits.detach(), "expect.loss": loss.detach().reshape(1)})
    meta = {"model": "parm-gen", "L": L, "C": C, "NH": NH, "F": FF, "ncodes": K, "text_len": TT}
    path = os.path.join(HERE, "..", "tests", "fixtures", "gen_small.safetensors")
    fixture_io.save(path, out, meta)
    print("wrote", path, "vocab", V, "loss", loss.item(), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
