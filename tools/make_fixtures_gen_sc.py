"""make_fixtures_gen_sc.py — PyTorch golden fixture for the PARM++
self-correction generator's forward/backward (tests/test_gen_sc.c): the
sequence [text][reflection][previous image][image] with the reflection's
words on the shared text embedding + emb.pos_sc, the previous image's tokens
on emb.prev (4 slots x K) + emb.pos_sc, the image as in the plain generator
(emb.pos rows text_len..); masks: reflection rows see non-pad text and
non-pad reflection, previous-image rows those and the previous image, image
rows every present segment; absent segments (reflection all PAD, no previous
image) are masked like padding (their rows see BOS only). The batch mixes
every combination: both segments, reflection only, previous image only,
neither. Loss: the weighted masked-token cross-entropy of make_fixtures_gen.py.
Writes tests/fixtures/gen_sc_small.safetensors (a valid parm generator file
with refl_len in its metadata, plus inputs, logits, loss and every grad).
Run: /usr/bin/python3 tools/make_fixtures_gen_sc.py"""
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import fixture_io  # noqa: E402
from make_fixtures_gen import V, order  # noqa: E402
from make_fixtures_nn import stack_forward, stack_params  # noqa: E402

L, C, NH, FF, K, TT, TR, B = 2, 32, 4, 64, 16, 8, 6, 4
T = TT + TR + 64 + 64


def sc_logits(P, text, refl, prev, img, lens, rlens, has_prev):
    B = text.shape[0]
    r0, p0, i0 = TT, TT + TR, TT + TR + 64
    mask = torch.zeros(B, T, T, dtype=torch.bool)
    for b in range(B):
        n, m, pv = lens[b], rlens[b], has_prev[b]
        mask[b, :n, :n] = torch.tril(torch.ones(n, n, dtype=torch.bool))
        mask[b, n:TT, 0] = True
        # reflection rows
        mask[b, r0:r0 + m, :n] = True
        mask[b, r0:r0 + m, r0:r0 + m] = True
        mask[b, r0 + m:p0, 0] = True
        # previous-image rows
        if pv:
            mask[b, p0:i0, :n] = True
            mask[b, p0:i0, r0:r0 + m] = True
            mask[b, p0:i0, p0:i0] = True
        else:
            mask[b, p0:i0, 0] = True
        # image rows
        mask[b, i0:, :n] = True
        mask[b, i0:, r0:r0 + m] = True
        if pv:
            mask[b, i0:, p0:i0] = True
        mask[b, i0:, i0:] = True
    xt = P["emb.text"][text] + P["emb.pos"][:TT][None]
    xr = P["emb.text"][refl] + P["emb.pos_sc"][:TR][None]
    pids = prev.clamp(min=0)[:, order] + (torch.arange(4) * K).repeat(64)
    xp = P["emb.prev"][pids].view(B, 64, 4, C).sum(2) * torch.tensor(has_prev, dtype=torch.float32)[:, None, None]
    xp = xp + P["emb.pos_sc"][TR:][None]
    ids = img[:, order] + (torch.arange(4) * (K + 1)).repeat(64)
    xi = P["emb.image"][ids].view(B, 64, 4, C).sum(2) + P["emb.pos"][TT:][None]
    x = torch.cat([xt, xr, xp, xi], 1)
    h = stack_forward({k[3:]: v for k, v in P.items() if k.startswith("tf.")}, x, mask, L, NH)
    return F.linear(h[:, i0:], P["head.weight"], P["head.bias"]).reshape(B * 256, K)


def main():
    g = torch.Generator().manual_seed(1)
    P = {"tf." + k: v for k, v in stack_params(L, C, FF, g).items()}
    P["emb.text"] = (0.5 * torch.randn(V, C, generator=g)).requires_grad_()
    P["emb.image"] = (0.5 * torch.randn(4 * (K + 1), C, generator=g)).requires_grad_()
    P["emb.pos"] = (0.5 * torch.randn(TT + 64, C, generator=g)).requires_grad_()
    P["head.weight"] = (torch.randn(4 * K, C, generator=g) / C ** 0.5).requires_grad_()
    P["head.bias"] = (0.1 * torch.randn(4 * K, generator=g)).requires_grad_()
    P["emb.pos_sc"] = (0.5 * torch.randn(TR + 64, C, generator=g)).requires_grad_()
    P["emb.prev"] = (0.5 * torch.randn(4 * K, C, generator=g)).requires_grad_()

    lens, rlens, has_prev = [5, 8, 3, 6], [4, 6, 0, 0], [1, 0, 1, 0]
    text = torch.zeros(B, TT, dtype=torch.long)
    refl = torch.zeros(B, TR, dtype=torch.long)
    for b in range(B):
        text[b, 0] = 1
        text[b, 1:lens[b]] = torch.randint(4, V, (lens[b] - 1,), generator=g)
        if rlens[b]:
            refl[b, 0] = 1
            refl[b, 1:rlens[b]] = torch.randint(3, V, (rlens[b] - 1,), generator=g)  # SEP (3) allowed
    prev = torch.randint(0, K, (B, 256), generator=g)
    for b in range(B):
        if not has_prev[b]:
            prev[b] = -1
    img = torch.randint(0, K + 1, (B, 256), generator=g)
    targets = torch.where(img == K, torch.randint(0, K, (B, 256), generator=g), torch.full((B, 256), -1))
    weights = torch.where(torch.rand(B, 256, generator=g) < 0.5, 1.0, 0.3)

    logits = sc_logits(P, text, refl, prev, img, lens, rlens, has_prev)
    tg = targets[:, order].reshape(-1)
    w = weights[:, order].reshape(-1)
    keep = tg >= 0
    nll = F.cross_entropy(logits[keep], tg[keep], reduction="none")
    loss = (nll * w[keep]).sum() / w[keep].sum()
    loss.backward()

    out = {k: v.detach() for k, v in P.items()}
    out.update({"grad." + k: v.grad for k, v in P.items()})
    out.update({"in.text": text.int(), "in.refl": refl.int(), "in.prev": prev.int(), "in.img": img.int(),
                "in.targets": targets.int(), "in.weights": weights, "expect.logits": logits.detach(),
                "expect.loss": loss.detach().reshape(1)})
    meta = {"model": "parm-gen", "L": L, "C": C, "NH": NH, "F": FF, "ncodes": K, "text_len": TT, "refl_len": TR}
    path = os.path.join(HERE, "..", "tests", "fixtures", "gen_sc_small.safetensors")
    fixture_io.save(path, out, meta)
    print("wrote", path, "vocab", V, "loss", loss.item(), os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
