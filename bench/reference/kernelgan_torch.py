#!/usr/bin/python3
"""KernelGAN (Bell-Kligler, Shocher, Irani 2019) written plainly in PyTorch, as the reference the
studio's estimator is compared with: the layered deep linear generator run on the crops (no
collapse trick), autograd everywhere, the same losses, priors, schedule and crop sampling.

usage: kernelgan_torch.py LR.png [iterations] [lr_decay_every] [threads] [seed]
prints one JSON line: {"kernel": [[...]] (13x13, raw), "seconds": s, "iterations": n}

Differences from the public code, kept identical in the studio: the generator subsamples after
its last layer (so the trained operator is exactly the collapsed 13x13 kernel), the bicubic prior
downscales each channel by itself, and D's real crops get fresh noise each time.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image
from scipy.signal import convolve2d


def xavier(m):
    if isinstance(m, nn.Conv2d):
        nn.init.xavier_normal_(m.weight, 0.1)
        if m.bias is not None:
            m.bias.data.fill_(0)
    elif isinstance(m, nn.BatchNorm2d):
        m.weight.data.normal_(1.0, 0.02)
        m.bias.data.fill_(0)


class G(nn.Module):
    def __init__(self, ch=64):
        super().__init__()
        ks = [7, 5, 3, 1, 1, 1]
        layers, cin = [], 1
        for i, k in enumerate(ks):
            cout = 1 if i == len(ks) - 1 else ch
            layers.append(nn.Conv2d(cin, cout, k, stride=2 if i == len(ks) - 1 else 1, bias=False))
            cin = cout
        self.net = nn.Sequential(*layers)

    def forward(self, x):  # x: [1, 3, H, W] -> each channel alone
        return self.net(x.transpose(0, 1)).transpose(0, 1)

    def kernel(self):
        k = torch.ones(1, 1, 1, 1)
        for i, conv in enumerate(self.net):
            k = F.conv2d(k, conv.weight, padding=12) if i == 0 else F.conv2d(k, conv.weight)
        return k.squeeze().flip([0, 1])


class D(nn.Module):
    def __init__(self, ch=64, layers=7):
        super().__init__()
        sn = nn.utils.spectral_norm
        mods = [sn(nn.Conv2d(3, ch, 7))]
        for _ in range(1, layers - 1):
            mods += [sn(nn.Conv2d(ch, ch, 1)), nn.BatchNorm2d(ch), nn.ReLU(True)]
        mods += [sn(nn.Conv2d(ch, 1, 1)), nn.Sigmoid()]
        self.net = nn.Sequential(*mods)

    def forward(self, x):
        return self.net(x)


def cubic(x):
    a = np.abs(x)
    return np.where(a <= 1, 1.5 * a**3 - 2.5 * a**2 + 1, np.where(a <= 2, -0.5 * a**3 + 2.5 * a**2 - 4 * a + 2, 0))


def bicubic_x2_kernel():
    w = cubic((np.arange(8) - 3.5) / 2) / 2
    return torch.tensor(np.outer(w, w), dtype=torch.float32)


def gradient_map(gray, window=5, percent=0.97):
    gy, gx = np.gradient(gray)
    gm, gx, gy = np.sqrt(gx**2 + gy**2), np.abs(gx), np.abs(gy)

    def pad(a, e):
        out = np.zeros_like(a)
        out[e:-e, e:-e] = a[e:-e, e:-e]
        return out

    def clip(a):
        s = np.sort(a.ravel())
        p = int(percent * len(s))
        lo = s[p]
        hi = s[p + 1] if s[p + 1] > lo else lo + 10e-6
        return np.clip(a, lo, hi) - lo

    lx, ly, gm = clip(pad(gx, window)), clip(pad(gy, window)), pad(gm, window)
    comb = sum(m / m.sum() for m in (lx, ly, gm) if m.sum() > 0)
    lm = convolve2d(comb, np.ones((window, window)), 'same') / window**2
    return lm / lm.mean()


def prob_vector(lm, crop):
    h = crop // 2
    b = convolve2d(lm, np.ones((h, h)), 'same') / h**2
    out = np.zeros_like(b)
    out[h:-h, h:-h] = b[h:-h, h:-h]
    return out.ravel() / out.sum()


def main():
    path = sys.argv[1]
    iters = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    decay_every = int(sys.argv[3]) if len(sys.argv) > 3 else 750
    torch.set_num_threads(int(sys.argv[4]) if len(sys.argv) > 4 else 2)
    seed = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    img = np.asarray(Image.open(path).convert('RGB'), dtype=np.float64) / 255
    img = img[: img.shape[0] // 2 * 2, : img.shape[1] // 2 * 2]
    H, W = img.shape[:2]
    gray = img @ [0.299, 0.587, 0.114]
    small = np.asarray(Image.fromarray((img * 255).round().astype(np.uint8)).resize((W // 2, H // 2), Image.BICUBIC), dtype=np.float64) / 255
    lm_small = np.kron(gradient_map(small @ [0.299, 0.587, 0.114]), np.ones((2, 2)))[:H, :W]
    pg, pd = prob_vector(lm_small, 64), prob_vector(gradient_map(gray), 26)

    def crop(p, size):
        c = rng.choice(len(p), p=p)
        r, q = divmod(c, W)
        t = min(max(0, r - size // 2), H - size)
        l = min(max(0, q - size // 2), W - size)
        t, l = t - t % 2, l - l % 2
        return img[t:t + size, l:l + size]

    g, d = G(), D()
    g.apply(xavier)
    d.apply(xavier)
    og = torch.optim.Adam(g.parameters(), lr=2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.5, 0.999))
    kb = bicubic_x2_kernel().view(1, 1, 8, 8).repeat(3, 1, 1, 1)
    mask = torch.zeros(13, 13)
    z = np.arange(-6, 7)
    gauss = np.exp(-z**2 / (2 * 169.0))
    m = 30 * (1 - np.outer(gauss, gauss))
    m[2:-2, 2:-2] = 0
    mask = torch.tensor(m, dtype=torch.float32)
    lam = {'bic': 5.0, 'sum': 0.5, 'bnd': 0.5, 'cen': 0.0, 'spa': 0.0}
    similar, counter, inserted = False, 0, False
    idx = torch.arange(13.0)
    t0 = time.time()
    for it in range(iters):
        gin = torch.tensor(crop(pg, 64) * 2 - 1, dtype=torch.float32).permute(2, 0, 1)[None]
        din = torch.tensor((crop(pd, 26) + rng.standard_normal((26, 26, 3)) / 255) * 2 - 1, dtype=torch.float32).permute(2, 0, 1)[None]
        # G step
        og.zero_grad()
        fake = g(gin)
        loss_g = (d(fake) - 1).abs().mean()
        k = g.kernel()
        bic = F.conv2d(gin, kb, stride=2, padding=3, groups=3)[:, :, 3:29, 3:29]
        l_bic = F.mse_loss(fake, bic)
        s = k.sum()
        r_c = (k.sum(1) @ idx) / s, (k.sum(0) @ idx) / s
        l_cen = ((r_c[0] - 6.5) ** 2 + (r_c[1] - 6.5) ** 2) / 2
        total = loss_g + lam['bic'] * l_bic + lam['sum'] * (1 - s).abs() + lam['bnd'] * (k * mask).abs().mean() + lam['cen'] * l_cen + lam['spa'] * (k.abs() ** 0.2).mean()
        total.backward()
        og.step()
        # D step
        od.zero_grad()
        real_p = d(din)
        fake2 = g(gin).detach() + torch.randn(1, 3, 26, 26) / 255
        loss_d = 0.5 * ((real_p - 1).abs().mean() + d(fake2).abs().mean())
        loss_d.backward()
        od.step()
        # schedule
        if it == 0:
            continue
        if it % decay_every == 0:
            for o in (og, od):
                for pgp in o.param_groups:
                    pgp['lr'] /= 10
        if not similar:
            if l_bic.item() < 0.4 / 9:
                if counter >= 2:
                    similar = True
                else:
                    counter += 1
            else:
                counter = 0
        elif it % 200 == 0 and lam['bic'] > 5e-6:
            lam['bic'] = max(lam['bic'] / 100, 5e-6)
            if not inserted and lam['bic'] < 5e-3:
                lam['cen'], lam['spa'], inserted = 1.0, 5.0, True
    with torch.no_grad():
        k = g.kernel().numpy().astype(float)
    print(json.dumps({'kernel': k.tolist(), 'seconds': time.time() - t0, 'iterations': iters}))


if __name__ == '__main__':
    main()
