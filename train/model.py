# SPDX-License-Identifier: BSD-2-Clause
"""Facet v1 network: a small First Order Motion Model.

Everything the C runtime has to re-implement is built from this op set:
conv2d (kernel 1/3/7, stride 1/2, bias; BatchNorm directly after a conv and
folded into it at export), ReLU, nearest 2x upsampling, 2x2 average pooling,
bilinear grid_sample (align_corners=False, padding_mode='border'), softmax
(over spatial positions for keypoint heatmaps, over the K+1 channels for the
motion masks), sigmoid, elementwise add/mul (with broadcast of a 1-channel map
over channels), concat along channels.

Besides the network ops there is a little coordinate arithmetic that is not a
layer and is cheap: the identity sampling grid (pixel centres
(2 i + 1) / W - 1), the K local affine motions built from two sets of
keypoints (with an analytic 2x2 inverse), the Gaussian keypoint heatmaps
(exp), and the keypoint-weighted sums of the soft-argmax.

Tensor conventions: images N,3,H,W in [0, 1]; keypoint positions N,K,2 as
(x, y) in [-1, 1]; Jacobians N,K,2,2; sampling grids N,H,W,2 (x, y).

Networks and where they run (S is the model size, 256 by default, a multiple
of 32):
  KeypointDetector    sender, every frame; hourglass at S/4
  ReferenceEncoder    receiver, once per keyframe; features at S, S/2, S/4
  DenseMotion         receiver, every frame; hourglass at S/4 -> flow, occlusion
  Decoder             receiver, every frame; warps the cached features
"Renderer" = DenseMotion + Decoder (the per-frame receiver cost).
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

ARCHITECTURE = "facet-fomm-v1"
GRID_SAMPLE_PADDING = "border"
HEATMAP_TEMPERATURE = 0.1   # soft-argmax: softmax(logits / T) over positions
GAUSSIAN_VARIANCE = 0.01    # heatmap representation of keypoints for DenseMotion
JACOBIAN_DET_EPS = 1e-3     # |det| floor for the analytic 2x2 inverse


# ----------------------------------------------------------------------------
# Coordinate helpers (plain arithmetic in C, not layers)

def identity_grid(h, w, like):
    """H,W,2 grid of pixel centres in [-1, 1], (x, y) last, align_corners=False."""
    xs = (torch.arange(w, device=like.device, dtype=like.dtype) * 2 + 1) / w - 1
    ys = (torch.arange(h, device=like.device, dtype=like.dtype) * 2 + 1) / h - 1
    gx = xs.view(1, w).expand(h, w)
    gy = ys.view(h, 1).expand(h, w)
    return torch.stack([gx, gy], dim=-1)


def inverse_2x2(m):
    """Analytic inverse of ...,2,2 matrices with the determinant kept away from 0."""
    a, b = m[..., 0, 0], m[..., 0, 1]
    c, d = m[..., 1, 0], m[..., 1, 1]
    det = a * d - b * c
    det = torch.where(det >= 0, det.clamp(min=JACOBIAN_DET_EPS), det.clamp(max=-JACOBIAN_DET_EPS))
    inv = torch.stack([torch.stack([d, -b], -1), torch.stack([-c, a], -1)], -2)
    return inv / det[..., None, None]


def keypoint_gaussians(value, h, w):
    """N,K,H,W Gaussian bumps at the keypoints (variance in normalised units)."""
    grid = identity_grid(h, w, value)                       # H,W,2
    diff = grid[None, None] - value[:, :, None, None, :]    # N,K,H,W,2
    return torch.exp(-0.5 * (diff * diff).sum(-1) / GAUSSIAN_VARIANCE)


def warp(x, grid):
    return F.grid_sample(x, grid, mode="bilinear", padding_mode=GRID_SAMPLE_PADDING,
                         align_corners=False)


def upsample2(x):
    return F.interpolate(x, scale_factor=2, mode="nearest")


def upsample_grid2(grid):
    """Nearest 2x upsampling of a sampling grid: the displacement is upsampled
    and added to the finer identity grid, so neighbouring output pixels still
    sample distinct points."""
    n, h, w, _ = grid.shape
    disp = (grid - identity_grid(h, w, grid)).permute(0, 3, 1, 2)
    disp = upsample2(disp).permute(0, 2, 3, 1)
    return identity_grid(2 * h, 2 * w, grid)[None] + disp


# ----------------------------------------------------------------------------
# Building blocks

class ConvBNReLU(nn.Module):
    """conv -> BatchNorm -> ReLU; BN folds into the conv at export."""

    def __init__(self, cin, cout, k=3, stride=1, relu=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.relu = relu

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x) if self.relu else x


class ResBlock(nn.Module):
    """x + BN(conv(ReLU(BN(conv(x))))) - post-activation so every BN follows a conv."""

    def __init__(self, ch):
        super().__init__()
        self.a = ConvBNReLU(ch, ch, 3)
        self.b = ConvBNReLU(ch, ch, 3, relu=False)

    def forward(self, x):
        return x + self.b(self.a(x))


class Hourglass(nn.Module):
    """U-Net: a stride-1 conv, then stride-2 convs down, nearest-up + concat +
    conv back up. Input size must be divisible by 2**(len(chs)-1)."""

    def __init__(self, cin, chs):
        super().__init__()
        self.down = nn.ModuleList([ConvBNReLU(cin, chs[0], 3)])
        for i in range(1, len(chs)):
            self.down.append(ConvBNReLU(chs[i - 1], chs[i], 3, stride=2))
        self.up = nn.ModuleList()
        for i in reversed(range(len(chs) - 1)):
            # upsampled output of level i+1 concatenated with the skip at level i
            self.up.append(ConvBNReLU(chs[i + 1] + chs[i], chs[i], 3))
        self.out_channels = chs[0]

    def forward(self, x):
        skips = []
        for layer in self.down:
            x = layer(x)
            skips.append(x)
        x = skips.pop()
        for layer in self.up:
            x = layer(torch.cat([upsample2(x), skips.pop()], dim=1))
        return x


# ----------------------------------------------------------------------------
# Networks

class KeypointDetector(nn.Module):
    """Image (S) -> K keypoints with Jacobians, from heatmaps at S/4."""

    def __init__(self, num_kp=10, chs=(16, 48, 64, 64)):
        super().__init__()
        self.num_kp = num_kp
        self.hourglass = Hourglass(3, list(chs))
        self.heatmap = nn.Conv2d(chs[0], num_kp, 7, padding=3)
        self.jacobian = nn.Conv2d(chs[0], 4 * num_kp, 3, padding=1)
        # Start from identity Jacobians.
        nn.init.zeros_(self.jacobian.weight)
        with torch.no_grad():
            self.jacobian.bias.copy_(torch.tensor([1.0, 0.0, 0.0, 1.0]).repeat(num_kp))

    def forward(self, image):
        x = F.avg_pool2d(F.avg_pool2d(image, 2), 2)
        feat = self.hourglass(x)
        n, _, h, w = feat.shape
        logits = self.heatmap(feat).view(n, self.num_kp, h * w)
        heat = F.softmax(logits / HEATMAP_TEMPERATURE, dim=2).view(n, self.num_kp, h, w, 1)
        grid = identity_grid(h, w, feat)[None, None]            # 1,1,H,W,2
        value = (heat * grid).sum(dim=(2, 3))                    # N,K,2
        jac = self.jacobian(feat).view(n, self.num_kp, 4, h, w).permute(0, 1, 3, 4, 2)
        jac = (heat * jac).sum(dim=(2, 3)).view(n, self.num_kp, 2, 2)
        return {"value": value, "jacobian": jac}


class ReferenceEncoder(nn.Module):
    """Keyframe (S) -> features at S, S/2, S/4 plus the keyframe at S/4 that
    DenseMotion warps. Runs once per keyframe; the outputs are cached."""

    def __init__(self, chs=(16, 32, 64), out_chs=(8, 16, 32)):
        super().__init__()
        self.e0 = ConvBNReLU(3, chs[0], 7)
        self.e1 = ConvBNReLU(chs[0], chs[1], 3, stride=2)
        self.e2 = ConvBNReLU(chs[1], chs[2], 3, stride=2)
        self.e3 = ConvBNReLU(chs[2], chs[2], 3)
        self.p0 = nn.Conv2d(chs[0], out_chs[0], 1)
        self.p1 = nn.Conv2d(chs[1], out_chs[1], 1)
        self.p2 = nn.Conv2d(chs[2], out_chs[2], 1)

    def forward(self, image):
        x0 = self.e0(image)
        x1 = self.e1(x0)
        x2 = self.e3(self.e2(x1))
        small = F.avg_pool2d(F.avg_pool2d(image, 2), 2)
        return {"f0": self.p0(x0), "f1": self.p1(x1), "f2": self.p2(x2), "small": small}


class DenseMotion(nn.Module):
    """Keypoints of keyframe and current frame -> backward flow (grid into the
    keyframe) and occlusion map, both at S/4."""

    def __init__(self, num_kp=10, chs=(24, 48, 64, 64)):
        super().__init__()
        self.num_kp = num_kp
        cin = (num_kp + 1) * 4      # per motion: heatmap difference + warped RGB
        self.hourglass = Hourglass(cin, list(chs))
        self.heads = nn.Conv2d(chs[0] + cin, num_kp + 1 + 1, 3, padding=1)  # masks + occlusion

    def sparse_motions(self, kp_ref, kp_cur, h, w):
        """N,K+1,H,W,2: identity, then for each keypoint the local affine map
        z -> ref_k + J_ref_k inv(J_cur_k) (z - cur_k)."""
        grid = identity_grid(h, w, kp_ref["value"])                      # H,W,2
        jac = torch.matmul(kp_ref["jacobian"], inverse_2x2(kp_cur["jacobian"]))   # N,K,2,2
        z = grid[None, None] - kp_cur["value"][:, :, None, None, :]      # N,K,H,W,2
        z = torch.einsum("nkij,nkhwj->nkhwi", jac, z)
        motions = z + kp_ref["value"][:, :, None, None, :]
        n = motions.shape[0]
        ident = grid[None, None].expand(n, 1, h, w, 2)
        return torch.cat([ident, motions], dim=1)

    def forward(self, ref_small, kp_ref, kp_cur):
        n, c, h, w = ref_small.shape
        k1 = self.num_kp + 1
        heat = keypoint_gaussians(kp_cur["value"], h, w) - keypoint_gaussians(kp_ref["value"], h, w)
        heat = torch.cat([torch.zeros_like(heat[:, :1]), heat], dim=1)          # N,K+1,H,W
        motions = self.sparse_motions(kp_ref, kp_cur, h, w)                     # N,K+1,H,W,2
        src = ref_small.unsqueeze(1).expand(n, k1, c, h, w).reshape(n * k1, c, h, w)
        warped = warp(src, motions.reshape(n * k1, h, w, 2)).view(n, k1, c, h, w)
        inp = torch.cat([heat.unsqueeze(2), warped], dim=2).view(n, k1 * (c + 1), h, w)
        feat = torch.cat([self.hourglass(inp), inp], dim=1)
        out = self.heads(feat)
        masks = F.softmax(out[:, :k1], dim=1)                                   # N,K+1,H,W
        flow = (masks.unsqueeze(-1) * motions).sum(dim=1)                       # N,H,W,2
        occlusion = torch.sigmoid(out[:, k1:])                                  # N,1,H,W
        return {"flow": flow, "occlusion": occlusion, "masks": masks}


class Decoder(nn.Module):
    """Cached keyframe features + flow + occlusion -> RGB frame."""

    def __init__(self, chs=(8, 16, 32), num_res=2):
        super().__init__()
        self.res = nn.Sequential(*[ResBlock(chs[2]) for _ in range(num_res)])
        self.up1 = ConvBNReLU(chs[2], chs[1], 3)
        self.up0 = ConvBNReLU(chs[1], chs[0], 3)
        self.out = nn.Conv2d(chs[0], 3, 3, padding=1)

    def forward(self, feats, flow, occlusion):
        x = warp(feats["f2"], flow) * occlusion
        x = self.res(x)
        flow1, occ1 = upsample_grid2(flow), upsample2(occlusion)
        x = self.up1(upsample2(x)) + warp(feats["f1"], flow1) * occ1
        flow0, occ0 = upsample_grid2(flow1), upsample2(occ1)
        x = self.up0(upsample2(x)) + warp(feats["f0"], flow0) * occ0
        return torch.sigmoid(self.out(x))


class FacetV1(nn.Module):
    def __init__(self, num_kp=10, kp_chs=(16, 48, 64, 64), dm_chs=(24, 48, 64, 64),
                 enc_chs=(16, 32, 64), feat_chs=(8, 16, 32), num_res=2):
        super().__init__()
        self.config = dict(num_kp=num_kp, kp_chs=list(kp_chs), dm_chs=list(dm_chs),
                           enc_chs=list(enc_chs), feat_chs=list(feat_chs), num_res=num_res)
        self.kp_detector = KeypointDetector(num_kp, kp_chs)
        self.encoder = ReferenceEncoder(enc_chs, feat_chs)
        self.dense_motion = DenseMotion(num_kp, dm_chs)
        self.decoder = Decoder(feat_chs, num_res)

    def render(self, feats, kp_ref, kp_cur):
        """Per-frame receiver work: keypoints + cached keyframe features -> frame."""
        motion = self.dense_motion(feats["small"], kp_ref, kp_cur)
        image = self.decoder(feats, motion["flow"], motion["occlusion"])
        return {"image": image, **motion}

    def forward(self, ref, cur, kp_ref=None, kp_cur=None):
        if kp_ref is None:
            kp_ref = self.kp_detector(ref)
        if kp_cur is None:
            kp_cur = self.kp_detector(cur)
        return self.render(self.encoder(ref), kp_ref, kp_cur)


def build_model(config=None):
    return FacetV1(**(config or {}))
