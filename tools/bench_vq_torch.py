"""bench_vq_torch.py — PyTorch peer for `make bench-vq`: the same VQ tokenizer
(default config, see include/parm/vq.h) trained with AdamW on batches of 32
64x64 class maps; prints `torch_train_img_s X`. Run with /usr/bin/python3."""
import argparse
import time

import torch
import torch.nn.functional as F

ap = argparse.ArgumentParser()
ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--batch", type=int, default=32)
ap.add_argument("--steps", type=int, default=10)
ap.add_argument("--width", type=int, default=128)
ap.add_argument("--dim", type=int, default=32)
ap.add_argument("--codes", type=int, default=1024)
a = ap.parse_args()
torch.set_num_threads(a.threads)
torch.manual_seed(0)
W, D, K, NC, P, G, B = a.width, a.dim, a.codes, 11, 4, 16, a.batch


class VQ(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.e0 = torch.nn.Conv2d(NC, W, P, stride=P)
        self.e1 = torch.nn.Conv2d(W, W, 1)
        self.e2 = torch.nn.Conv2d(W, D, 1)
        self.cb = torch.nn.Parameter(torch.randn(K, D))
        self.d0 = torch.nn.Conv2d(D, W, 1)
        self.d1 = torch.nn.Conv2d(W, W, 3, padding=1)
        self.d2 = torch.nn.Conv2d(W, W, 3, padding=1)
        self.d3 = torch.nn.Conv2d(W, P * P * NC, 1)

    def forward(self, x, cls):
        g = lambda t: F.gelu(t, approximate="tanh")  # noqa: E731
        z = self.e2(g(self.e1(g(self.e0(x)))))
        zf = z.permute(0, 2, 3, 1).reshape(-1, D)
        idx = torch.cdist(zf, self.cb).argmin(1)
        zq = self.cb[idx].reshape(B, G, G, D).permute(0, 3, 1, 2)
        q = F.mse_loss(zq, z.detach()) + 0.25 * F.mse_loss(z, zq.detach())
        zst = z + (zq - z).detach()
        o = self.d3(g(self.d2(g(self.d1(g(self.d0(zst)))))))
        logits = o.reshape(B, P, P, NC, G, G).permute(0, 4, 1, 5, 2, 3).reshape(-1, NC)
        return F.cross_entropy(logits, cls.reshape(-1)) + q


m = VQ()
opt = torch.optim.AdamW(m.parameters(), lr=1e-3, weight_decay=0.0)
cls = torch.randint(0, NC, (B, 8, 8)).repeat_interleave(8, 1).repeat_interleave(8, 2)
x = F.one_hot(cls, NC).permute(0, 3, 1, 2).float()
for i in range(2 + a.steps):
    if i == 2:
        t0 = time.perf_counter()
    opt.zero_grad(set_to_none=True)
    loss = m(x, cls)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
    opt.step()
dt = time.perf_counter() - t0
print(f"torch_train_img_s {a.steps * B / dt:.2f}")
