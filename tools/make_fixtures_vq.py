"""make_fixtures_vq.py — PyTorch golden fixture for the VQ tokenizer's full
forward/backward (a small conv encoder/decoder with vector quantisation).

Writes tests/fixtures/vq_small.safetensors: a valid parm VQ weights file
(tiny config) plus the input images and PyTorch's loss, codes, logits and
every parameter gradient. Run: /usr/bin/python3 tools/make_fixtures_vq.py"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(__file__))
import fixture_io  # noqa: E402

torch.manual_seed(0)
np.random.seed(0)
W, D, K, BETA, B = 8, 4, 16, 0.25, 2
NC, P, G = 11, 4, 16
BG = [128, 128, 128]
PALETTE = [[220, 40, 40], [245, 140, 20], [240, 220, 40], [40, 170, 60], [40, 80, 220],
           [140, 60, 190], [245, 130, 190], [130, 80, 40], [20, 20, 20], [240, 240, 240]]
COLORS = np.array([BG] + PALETTE, dtype=np.int32)

# images: random blocky class maps (8x8 blocks of random class), exact palette colours
cls = np.random.randint(0, NC, size=(B, 8, 8)).repeat(8, axis=1).repeat(8, axis=2)
cls[:, ::7, :] = 0
rgb = COLORS[cls]  # [B,64,64,3]


def conv_w(oc, ic, k):
    return (torch.randn(oc, ic, k, k) / np.sqrt(ic * k * k)).requires_grad_()


def bias(n):
    return (0.1 * torch.randn(n)).requires_grad_()


p = {
    "enc.0.weight": conv_w(W, NC, P), "enc.0.bias": bias(W),
    "enc.1.weight": conv_w(W, W, 1), "enc.1.bias": bias(W),
    "enc.2.weight": conv_w(D, W, 1), "enc.2.bias": bias(D),
    "quant.codebook": torch.randn(K, D).requires_grad_(),
    "dec.0.weight": conv_w(W, D, 1), "dec.0.bias": bias(W),
    "dec.1.weight": conv_w(W, W, 3), "dec.1.bias": bias(W),
    "dec.2.weight": conv_w(W, W, 3), "dec.2.bias": bias(W),
    "dec.3.weight": conv_w(P * P * NC, W, 1), "dec.3.bias": bias(P * P * NC),
}
x = F.one_hot(torch.from_numpy(cls).long(), NC).permute(0, 3, 1, 2).float()
gelu = lambda t: F.gelu(t, approximate="tanh")  # noqa: E731
h = gelu(F.conv2d(x, p["enc.0.weight"], p["enc.0.bias"], stride=P))
h = gelu(F.conv2d(h, p["enc.1.weight"], p["enc.1.bias"]))
z = F.conv2d(h, p["enc.2.weight"], p["enc.2.bias"]).reshape(B, D, G * G)  # [B,D,S]
zf = z.permute(0, 2, 1).reshape(-1, D)
d2 = ((zf[:, None, :] - p["quant.codebook"][None]) ** 2).sum(-1)
idx = d2.argmin(1)
zq = p["quant.codebook"][idx].reshape(B, G * G, D).permute(0, 2, 1)
qloss = F.mse_loss(zq, z.detach()) + BETA * F.mse_loss(z, zq.detach())
zst = (z + (zq - z).detach()).reshape(B, D, G, G)
h = gelu(F.conv2d(zst, p["dec.0.weight"], p["dec.0.bias"]))
h = gelu(F.conv2d(h, p["dec.1.weight"], p["dec.1.bias"], padding=1))
h = gelu(F.conv2d(h, p["dec.2.weight"], p["dec.2.bias"], padding=1))
o = F.conv2d(h, p["dec.3.weight"], p["dec.3.bias"])  # [B,176,16,16], channel = (py*4+px)*11 + c
logits = o.reshape(B, P, P, NC, G, G).permute(0, 4, 1, 5, 2, 3).reshape(B, 64, 64, NC)
recon = F.cross_entropy(logits.reshape(-1, NC), torch.from_numpy(cls).long().reshape(-1))
loss = recon + qloss
loss.backward()

out = {k: v.detach() for k, v in p.items()}
out.update({"grad." + k: v.grad for k, v in p.items()})
out["input.rgb"] = torch.from_numpy(rgb.astype(np.int32))
out["expect.codes"] = idx.reshape(B, G * G).int()
out["expect.loss"] = torch.tensor([loss.item(), recon.item(), qloss.item()])
path = os.path.join(os.path.dirname(__file__), "..", "tests", "fixtures", "vq_small.safetensors")
fixture_io.save(path, out, {"model": "parm-vq", "width": W, "dim": D, "ncodes": K, "beta": BETA})
print("wrote", path, "loss", loss.item())
