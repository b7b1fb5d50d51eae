# SPDX-License-Identifier: BSD-2-Clause
"""Facet latent-tier network: a reference-guided upsampler of a low-resolution stream.

The receiver has two pictures: the decoded low-resolution frame L (S/r per
side, r = 2 or 4, straight out of the AV1/VP8 decoder) and the last
high-resolution reference R (S per side, an intra picture, possibly seconds
old). Both are at the receiver, so motion is estimated densely from the two
pictures themselves; nothing but the low-resolution stream is sent per frame.
(The keypoint tier needs keypoints because they are all it sends; here a
keypoint bottleneck would only lose information.)

    out = up_r(L) + highpass(residual + gate * warp(detail(R), flow))

- up_r: fixed bilinear upscale of L to S (grid_sample on the identity grid,
  align_corners=False, border padding): the network adds detail on top of
  the stream and cannot lose the picture.
- detail(R) = R - up_r(avgpool_r(R)): only the reference's frequencies above
  the stream's band. Brightness, white balance and slow shading live in the
  low band, which L carries for the current moment; taking only detail from
  the reference keeps a reference with another exposure from painting its
  exposure onto the frame.
- highpass(x) = x - up(avgpool_{h r}(x)), h = config "highpass" (2; 0 in
  the first model, which had none): what the network adds has no band
  below S/(2hr) cycles, so it cannot tint or brighten an area. The first
  model, without it, learned a colour cast from the training clips that
  cost 0.5 dB in the flat background of a validation clip.
- flow, confidence: a small U-Net at S/4 on [L at S/4, R at S/4].
- Fusion at S/2: features of L, reference detail features warped by the
  flow and weighted by the confidence, context from the motion net ->
  residual (3 x 4 channels) and gate (4 channels), depth-to-space to S.

Without a reference (before the first arrives, and with reference dropout in
training) every cached reference tensor is zero: the same graph then acts as
a reference-free upsampler.

Ops the C runtime needs: conv2d (1x1, 3x3; stride 1/2; bias), ReLU, sigmoid,
2x2 average pooling, nearest 2x upsampling, bilinear grid_sample
(align_corners=False, border), concat, add, sub, mul (1-channel broadcast),
depth-to-space (pixel shuffle) by 2.

Per reference (cached): ReferenceEncoder -> small (S/4, 3), detail (S, 3),
feat (S/2, C). Per frame: everything else. Any S that is a multiple of 32.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHITECTURE = "facet-latent-v1"


def identity_grid(h, w, like):
    """1,H,W,2 grid of pixel centres in [-1, 1], (x, y) last, align_corners=False."""
    xs = (torch.arange(w, device=like.device, dtype=like.dtype) * 2 + 1) / w - 1
    ys = (torch.arange(h, device=like.device, dtype=like.dtype) * 2 + 1) / h - 1
    return torch.stack([xs.view(1, w).expand(h, w), ys.view(h, 1).expand(h, w)], dim=-1)[None]


def warp(x, grid):
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)


def resize_bilinear(x, h, w):
    """Bilinear resampling written as grid_sample on the identity grid, the
    one op the C runtime uses for it (equal to F.interpolate(bilinear,
    align_corners=False) for upscaling)."""
    grid = identity_grid(h, w, x).expand(x.shape[0], h, w, 2)
    return warp(x, grid)


def avg_pool(x, factor):
    while factor > 1:
        x = F.avg_pool2d(x, 2)
        factor //= 2
    return x


def flow_grid(flow, h, w):
    """Sampling grid at h x w from a displacement field N,2,h0,w0 (normalised units)."""
    if flow.shape[-2:] != (h, w):
        flow = resize_bilinear(flow, h, w)
    return identity_grid(h, w, flow) + flow.permute(0, 2, 3, 1)


def conv(cin, cout, k=3, stride=1):
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2)


class ResBlock(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.a = conv(ch, ch)
        self.b = conv(ch, ch)
        nn.init.zeros_(self.b.weight)
        nn.init.zeros_(self.b.bias)

    def forward(self, x):
        return x + self.b(F.relu(self.a(x)))


class UNet(nn.Module):
    """conv at full size, stride-2 convs down, nearest-up + concat + conv up."""

    def __init__(self, cin, chs):
        super().__init__()
        self.down = nn.ModuleList([conv(cin, chs[0])])
        for i in range(1, len(chs)):
            self.down.append(conv(chs[i - 1], chs[i], stride=2))
        self.up = nn.ModuleList(conv(chs[i + 1] + chs[i], chs[i]) for i in reversed(range(len(chs) - 1)))

    def forward(self, x):
        skips = []
        for layer in self.down:
            x = F.relu(layer(x))
            skips.append(x)
        x = skips.pop()
        for layer in self.up:
            x = F.relu(layer(torch.cat([F.interpolate(x, scale_factor=2, mode="nearest"), skips.pop()], 1)))
        return x


class ReferenceEncoder(nn.Module):
    """Reference (S) -> small (S/4), detail (S), detail features (S/2). Once per reference."""

    def __init__(self, feat_ch=16):
        super().__init__()
        self.c0 = conv(3, feat_ch, 3, stride=2)
        self.c1 = conv(feat_ch, feat_ch)
        self.c2 = conv(feat_ch, feat_ch, 1)

    def forward(self, ref, r):
        s = ref.shape[-1]
        detail = ref - resize_bilinear(avg_pool(ref, r), s, s)
        feat = self.c2(F.relu(self.c1(F.relu(self.c0(detail)))))
        return {"small": avg_pool(ref, 4), "detail": detail, "feat": feat}


class LatentUpsampler(nn.Module):
    def __init__(self, feat_ch=16, motion_chs=(24, 32, 48, 64), ctx_ch=8, width=24, num_res=1, highpass=2):
        super().__init__()
        self.config = dict(feat_ch=feat_ch, motion_chs=list(motion_chs), ctx_ch=ctx_ch, width=width,
                           num_res=num_res, highpass=highpass)
        self.encoder = ReferenceEncoder(feat_ch)
        self.motion = UNet(6, list(motion_chs))
        self.motion_head = conv(motion_chs[0], 3)
        nn.init.zeros_(self.motion_head.weight)
        nn.init.zeros_(self.motion_head.bias)
        self.context = conv(motion_chs[0], ctx_ch, 1)
        self.fuse_in = conv(3 + feat_ch + 1 + ctx_ch, width)
        self.res = nn.Sequential(*[ResBlock(width) for _ in range(num_res)])
        self.head = conv(width, 16)
        nn.init.normal_(self.head.weight, std=1e-3)
        nn.init.zeros_(self.head.bias)

    def render(self, low, ref_enc, r):
        """Per-frame work: decoded low-res frame (N,3,S/r,S/r) + cached reference -> frame at S."""
        n, _, h, w = low.shape
        S = h * r
        low4 = avg_pool(low, 2) if r == 2 else low
        low2 = low if r == 2 else resize_bilinear(low, S // 2, S // 2)
        m = self.motion(torch.cat([low4, ref_enc["small"]], 1))
        mh = self.motion_head(m)
        flow, conf = mh[:, :2], torch.sigmoid(mh[:, 2:3])
        conf2 = resize_bilinear(conf, S // 2, S // 2)
        warped = warp(ref_enc["feat"], flow_grid(flow, S // 2, S // 2)) * conf2
        ctx = F.interpolate(self.context(m), scale_factor=2, mode="nearest")
        x = F.relu(self.fuse_in(torch.cat([low2, warped, conf2, ctx], 1)))
        x = self.head(self.res(x))
        residual = F.pixel_shuffle(x[:, :12], 2)
        gate = F.pixel_shuffle(torch.sigmoid(x[:, 12:16]), 2)
        detail = warp(ref_enc["detail"], flow_grid(flow, S, S))
        base = resize_bilinear(low, S, S)
        added = residual + gate * detail
        if self.config["highpass"]:
            added = added - resize_bilinear(avg_pool(added, self.config["highpass"] * r), S, S)
        return {"image": base + added, "base": base, "flow": flow, "confidence": conf, "gate": gate}

    def forward(self, low, ref, r, has_ref=None):
        enc = self.encoder(ref, r)
        if has_ref is not None:
            # no reference = all cached tensors zero (what the decoder holds before the first)
            k = has_ref.view(-1, 1, 1, 1)
            enc = {key: v * k for key, v in enc.items()}
        return self.render(low, enc, r)


def build_model(config=None):
    config = dict(config or {})
    config.setdefault("highpass", 0 if config else 2)  # a saved config without the key predates it
    return LatentUpsampler(**config)


def no_reference(model, n, S, like):
    """The cached reference tensors before any reference has arrived."""
    z = lambda c, s: torch.zeros(n, c, s, s, dtype=like.dtype, device=like.device)  # noqa: E731
    return {"small": z(3, S // 4), "detail": z(3, S), "feat": z(model.config["feat_ch"], S // 2)}
