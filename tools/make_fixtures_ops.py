"""make_fixtures_ops.py — PyTorch golden fixtures for tests/test_ops.c.

Run with Debian's python3-torch:  /usr/bin/python3 tools/make_fixtures_ops.py
Writes tests/fixtures/ops.safetensors (tensor names "<case>.<tensor>").

Inputs are drawn in float32 with fixed seeds (so the C test sees exactly the
same values); each op is then evaluated in float64 with autograd against a
random upstream gradient, and outputs/gradients are stored as float32. The C
test therefore measures only its own float32 error."""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fixture_io  # noqa: E402

torch.manual_seed(0)
T = {}
D = torch.float64


def rn(*shape, scale=1.0):
    return (torch.randn(*shape, dtype=torch.float32) * scale).to(D)


def leaf(x):
    return x.clone().requires_grad_(True)


def put(prefix, **kw):
    for k, v in kw.items():
        T[f"{prefix}.{k}"] = v.detach() if torch.is_tensor(v) else v


def backward(out, dout):
    out.backward(dout)


# ---- linear: out[N,OC] = inp[N,C] w[OC,C]^T + b
N, C, OC = 6, 10, 7
inp, w, b = leaf(rn(N, C)), leaf(rn(OC, C, scale=0.3)), leaf(rn(OC))
out = F.linear(inp, w, b)
dout = rn(N, OC)
backward(out, dout)
put("linear", inp=inp, w=w, b=b, dout=dout, out=out, dinp=inp.grad, dw=w.grad, db=b.grad)

# ---- embedding
V, C, N = 9, 5, 8
table = leaf(rn(V, C))
ids = torch.tensor([3, 0, 8, 3, 1, 3, 7, 0])
out = F.embedding(ids, table)
dout = rn(N, C)
backward(out, dout)
put("embedding", table=table, ids=ids.int(), dout=dout, out=out, dtable=table.grad)

# ---- layernorm (eps 1e-5)
N, C = 5, 12
inp, w, b = leaf(rn(N, C, scale=2.0) + 0.5), leaf(rn(C)), leaf(rn(C))
out = F.layer_norm(inp, (C,), w, b, eps=1e-5)
dout = rn(N, C)
backward(out, dout)
put("layernorm", inp=inp, w=w, b=b, dout=dout, out=out, dinp=inp.grad, dw=w.grad, db=b.grad)

# ---- rmsnorm (eps 1e-6): x * rsqrt(mean(x^2) + eps) * w
inp, w = leaf(rn(N, C, scale=2.0)), leaf(rn(C))
out = inp * torch.rsqrt(inp.pow(2).mean(-1, keepdim=True) + 1e-6) * w
dout = rn(N, C)
backward(out, dout)
put("rmsnorm", inp=inp, w=w, dout=dout, out=out, dinp=inp.grad, dw=w.grad)

# ---- elementwise activations and residual
n = 64
for name, fn in [("gelu", lambda x: F.gelu(x, approximate="tanh")), ("silu", F.silu), ("sigmoid", torch.sigmoid)]:
    x = leaf(rn(n, scale=3.0))
    out = fn(x)
    dout = rn(n)
    backward(out, dout)
    put(name, inp=x, dout=dout, out=out, dinp=x.grad)
a, bb = leaf(rn(n)), leaf(rn(n))
out = a + bb
dout = rn(n)
backward(out, dout)
put("residual", a=a, b=bb, dout=dout, out=out, da=a.grad, db=bb.grad)


# ---- attention with an omni-attention style mask
def omni_mask(Tn, L, I):
    """text prefix [0,L) causal; image tokens [L,L+I) see every non-pad token; pads see nothing."""
    m = torch.zeros(Tn, Tn, dtype=torch.bool)
    for t in range(Tn):
        for s in range(Tn):
            if t < L:
                m[t, s] = s <= t
            elif t < L + I:
                m[t, s] = s < L + I
    return m


B, Tn, C, NH = 2, 9, 16, 2
hs = C // NH
mask = torch.stack([omni_mask(Tn, 3, 5), omni_mask(Tn, 4, 4)])  # [B,T,T]
qkv = leaf(rn(B, Tn, 3 * C))
q, k, v = qkv.split(C, dim=2)
q, k, v = [t.view(B, Tn, NH, hs).transpose(1, 2) for t in (q, k, v)]  # [B,NH,T,hs]
s = q @ k.transpose(-2, -1) / (hs ** 0.5)
anyk = mask.any(-1)  # [B,T] query rows with at least one allowed key
m = mask | ~anyk[:, :, None]  # fully masked rows: unmask, then zero below
s = s.masked_fill(~m[:, None], float("-inf"))
att = torch.softmax(s, dim=-1) * anyk[:, None, :, None]
out = (att @ v).transpose(1, 2).reshape(B, Tn, C)
dout = rn(B, Tn, C)
backward(out, dout)
put("attention", qkv=qkv, mask=mask.int(), dout=dout, out=out, att=att, dqkv=qkv.grad)

# ---- cross-entropy with ignore_index and per-row weights
N, V = 10, 13
logits = rn(N, V, scale=2.0)
tg = torch.randint(0, V, (N,))
tg[[1, 6]] = -100
wr = torch.rand(N, dtype=torch.float32).to(D) + 0.5
dloss = torch.tensor(1.7, dtype=D)
x = leaf(logits)
loss = F.cross_entropy(x, tg, ignore_index=-100)
backward(loss, dloss)
put("xent", logits=logits, targets=tg.int(), weights=wr, loss=loss.reshape(1), dlogits=x.grad)
x = leaf(logits)
kept = (tg != -100).to(D)
lossw = (F.cross_entropy(x, tg, ignore_index=-100, reduction="none") * wr).sum() / (wr * kept).sum()
backward(lossw, dloss)
put("xent", loss_w=lossw.reshape(1), dlogits_w=x.grad)

# ---- log-softmax gather (0 for ignored rows)
x = leaf(logits)
safe = tg.clamp(min=0)
out = F.log_softmax(x, -1).gather(1, safe[:, None])[:, 0] * kept
dout = rn(N)
backward(out, dout)
put("lsm_gather", dout=dout, out=out, dlogits=x.grad)

# ---- BCE with logits (mean of w_i * l_i)
N = 11
xb = rn(N, scale=3.0)
yb = torch.rand(N, dtype=torch.float32).to(D)
yb[:4] = torch.tensor([0.0, 1.0, 1.0, 0.0], dtype=D)
wb = torch.rand(N, dtype=torch.float32).to(D) + 0.5
x = leaf(xb)
loss = F.binary_cross_entropy_with_logits(x, yb)
backward(loss, dloss)
put("bce", x=xb, y=yb, w=wb, loss=loss.reshape(1), dx=x.grad)
x = leaf(xb)
loss = F.binary_cross_entropy_with_logits(x, yb, weight=wb)
backward(loss, dloss)
put("bce", loss_w=loss.reshape(1), dx_w=x.grad)

# ---- conv2d
B, IC, H, W, OC = 2, 3, 7, 6, 4
for K, st, p in [(3, 1, 1), (3, 2, 1), (1, 1, 0), (4, 2, 1)]:
    name = f"conv_k{K}s{st}p{p}"
    inp, w, b = leaf(rn(B, IC, H, W)), leaf(rn(OC, IC, K, K, scale=0.3)), leaf(rn(OC))
    out = F.conv2d(inp, w, b, stride=st, padding=p)
    dout = rn(*out.shape)
    backward(out, dout)
    put(name, inp=inp, w=w, b=b, dout=dout, out=out, dinp=inp.grad, dw=w.grad, db=b.grad)

# ---- nearest upsample x2
B, C, H, W = 2, 3, 3, 4
inp = leaf(rn(B, C, H, W))
out = F.interpolate(inp, scale_factor=2, mode="nearest")
dout = rn(*out.shape)
backward(out, dout)
put("upsample", inp=inp, dout=dout, out=out, dinp=inp.grad)

# ---- group norm (eps 1e-5)
B, C, H, W, G = 2, 6, 3, 3, 3
inp, w, b = leaf(rn(B, C, H, W, scale=2.0) + 1.0), leaf(rn(C)), leaf(rn(C))
out = F.group_norm(inp, G, w, b, eps=1e-5)
dout = rn(*out.shape)
backward(out, dout)
put("groupnorm", inp=inp, w=w, b=b, dout=dout, out=out, dinp=inp.grad, dw=w.grad, db=b.grad)

# ---- VQ: straight-through + codebook/commit losses (beta 0.25)
B, Dd, H, W, K, beta = 2, 4, 2, 3, 5, 0.25
z, cb = leaf(rn(B, Dd, H, W)), leaf(rn(K, Dd))
zf = z.permute(0, 2, 3, 1).reshape(-1, Dd)  # [B*S, D]
dist = ((zf[:, None, :] - cb[None, :, :]) ** 2).sum(-1)
idx = dist.argmin(1)
zq = cb[idx].view(B, H, W, Dd).permute(0, 3, 1, 2)
loss = F.mse_loss(zq, z.detach()) + beta * F.mse_loss(z, zq.detach())
zq_st = z + (zq - z).detach()
dzq = rn(*zq_st.shape)
dloss_vq = torch.tensor(1.3, dtype=D)
torch.autograd.backward([zq_st, loss], [dzq, dloss_vq])
put("vq", z=z, codebook=cb, dzq=dzq, dloss=dloss_vq.reshape(1), zq=zq_st, idx=idx.view(B, H * W).int(),
    loss=loss.reshape(1), dz=z.grad, dcodebook=cb.grad)

# ---- ranking by the weakest row (parm_rank_min_*): slot 0 = no pair, 1 + 2p + s = pair p, side s;
# loss = mean over pairs with both sides of softplus(min_1 − min_0); pair 2 lacks side 1 (ignored)
slot = torch.tensor([1, 2, 1, 0, 2, 3, 4, 4, 3, 1, 0, 5, 3], dtype=torch.long)
x = leaf(rn(len(slot), scale=2.0))
terms = []
for p in range(3):
    s0, s1 = x[slot == 1 + 2 * p], x[slot == 2 + 2 * p]
    if len(s0) and len(s1):
        terms.append(F.softplus(s1.min() - s0.min()))
loss = torch.stack(terms).mean()
backward(loss, dloss)
put("rank", x=x, slot=slot.int(), loss=loss.reshape(1), npairs=torch.tensor([len(terms)]).int(), dx=x.grad)

out_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "ops.safetensors")
arrs = {k: (v.float() if v.is_floating_point() else v.int()).numpy() for k, v in T.items()}
fixture_io.save(out_path, arrs, metadata={"generator": "tools/make_fixtures_ops.py", "torch": torch.__version__})
print(f"wrote {os.path.normpath(out_path)}: {len(arrs)} tensors, {os.path.getsize(out_path)} bytes")
