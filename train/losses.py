# SPDX-License-Identifier: BSD-2-Clause
"""Losses and image-quality metrics (no pretrained networks).

Reconstruction
  l1       mean |out - target|
  msssim   1 - MS-SSIM; SSIM with an 11-tap Gaussian window (sigma 1.5),
           'valid' filtering, as many scales (up to 5) as the image allows
           with the window still fitting; the standard scale weights,
           renormalised when fewer scales are used.
  pyramid  "perceptual-style" multi-scale L1: at 1/2, 1/4, 1/8 of the size
           (2x2 average pooling) the L1 of the images and of their horizontal
           and vertical differences (edges), the gradients weighted x2.
Colour space
  rgb_to_yuv  BT.601 Y, U, V of an RGB picture: what a codec codes and
           what its metrics are taken on. `facet eval` and facet-bandwidth
           (media/metrics.h) take PSNR over all samples of a 4:2:0
           picture, which weighs Y, U and V by their pixel count, 4:1:1
           (PLANE_WEIGHTS), and SSIM and MS-SSIM on Y alone; an RGB loss
           weighs colour as much as brightness.
Keypoints
  equivariance  the driving frame is warped by a random thin-plate spline
           T (affine part + 5x5 control points); the keypoints found in the
           warped frame, mapped through T, must equal those of the frame, and
           the Jacobians must compose: J = dT(kp_t) J_t, penalised as
           |I - inv(J) dT(kp_t) J_t|.
"""

import torch
import torch.nn.functional as F

from model import identity_grid, inverse_2x2, warp

MSSSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
SSIM_WINDOW = 11
SSIM_SIGMA = 1.5


def _gaussian_window(size, sigma, like):
    x = torch.arange(size, device=like.device, dtype=like.dtype) - (size - 1) / 2
    g = torch.exp(-x * x / (2 * sigma * sigma))
    return g / g.sum()


def _filter(x, g):
    c = x.shape[1]
    k = g.numel()
    x = F.conv2d(x, g.view(1, 1, 1, k).expand(c, 1, 1, k), groups=c)
    return F.conv2d(x, g.view(1, 1, k, 1).expand(c, 1, k, 1), groups=c)


def _ssim_terms(x, y, g, data_range=1.0):
    c1 = (0.01 * data_range) ** 2
    c2 = (0.03 * data_range) ** 2
    mx, my = _filter(x, g), _filter(y, g)
    sxx = _filter(x * x, g) - mx * mx
    syy = _filter(y * y, g) - my * my
    sxy = _filter(x * y, g) - mx * my
    cs = (2 * sxy + c2) / (sxx + syy + c2)
    lum = (2 * mx * my + c1) / (mx * mx + my * my + c1)
    return lum * cs, cs


def ssim(x, y, per_image=False):
    """SSIM of images in [0, 1], mean over channels and positions."""
    g = _gaussian_window(SSIM_WINDOW, SSIM_SIGMA, x)
    s, _ = _ssim_terms(x, y, g)
    s = s.flatten(1).mean(1)
    return s if per_image else s.mean()


def msssim_levels(size):
    levels = 1
    while levels < len(MSSSIM_WEIGHTS) and size // (2 ** levels) >= SSIM_WINDOW:
        levels += 1
    return levels


def ms_ssim(x, y, per_image=False, levels=None):
    """Multi-scale SSIM of images in [0, 1]; values are clamped positive so the
    fractional powers stay defined (and differentiable) early in training."""
    levels = levels or msssim_levels(min(x.shape[-2:]))
    w = torch.tensor(MSSSIM_WEIGHTS[:levels], device=x.device, dtype=x.dtype)
    w = w / w.sum()
    g = _gaussian_window(SSIM_WINDOW, SSIM_SIGMA, x)
    vals = []
    for i in range(levels):
        s, cs = _ssim_terms(x, y, g)
        if i == levels - 1:
            vals.append(s.flatten(1).mean(1))
        else:
            vals.append(cs.flatten(1).mean(1))
            x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    vals = torch.stack(vals, dim=1).clamp(min=1e-4)        # N,levels
    out = torch.exp((torch.log(vals) * w).sum(dim=1))
    return out if per_image else out.mean()


def psnr(x, y, per_image=False):
    mse = ((x - y) ** 2).flatten(1).mean(1).clamp(min=1e-10)
    p = 10 * torch.log10(1.0 / mse)
    return p if per_image else p.mean()


# BT.601 (analogue, full range) rows for Y, U, V; U and V are centred on 0.5
YUV_FROM_RGB = ((0.299, 0.587, 0.114), (-0.168736, -0.331264, 0.5), (0.5, -0.418688, -0.081312))
PLANE_WEIGHTS = (4.0 / 6.0, 1.0 / 6.0, 1.0 / 6.0)


def rgb_to_yuv(x):
    """N,3,H,W RGB in [0, 1] -> Y, U, V in [0, 1]."""
    m = torch.tensor(YUV_FROM_RGB, dtype=x.dtype, device=x.device)
    offset = torch.tensor((0.0, 0.5, 0.5), dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return torch.einsum("ij,njhw->nihw", m, x) + offset


def pyramid_l1(x, y, levels=3, grad_weight=2.0):
    total = 0.0
    for _ in range(levels):
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
        total = total + (x - y).abs().mean()
        dx = (x[..., :, 1:] - x[..., :, :-1]) - (y[..., :, 1:] - y[..., :, :-1])
        dy = (x[..., 1:, :] - x[..., :-1, :]) - (y[..., 1:, :] - y[..., :-1, :])
        total = total + grad_weight * (dx.abs().mean() + dy.abs().mean())
    return total / levels


# ----------------------------------------------------------------------------
# Thin-plate spline for the equivariance loss

class RandomTPS:
    """T(z) = A z + t + sum_i w_i U(|z - c_i|), U(r) = r^2 log r^2, with the
    control points c_i on a regular grid. Parameters come from a numpy Generator."""

    def __init__(self, rng, n, device, sigma_affine=0.05, sigma_tps=0.005, points=5, dtype=torch.float32):
        t = lambda a: torch.tensor(a, dtype=dtype, device=device)  # noqa: E731
        self.A = t(rng.normal(0, sigma_affine, size=(n, 2, 2))) + torch.eye(2, dtype=dtype, device=device)
        self.t = t(rng.normal(0, sigma_affine, size=(n, 2)))
        lin = torch.linspace(-1, 1, points, dtype=dtype, device=device)
        cy, cx = lin.view(-1, 1).expand(points, points), lin.view(1, -1).expand(points, points)
        self.c = torch.stack([cx.reshape(-1), cy.reshape(-1)], dim=-1)     # P,2
        self.w = t(rng.normal(0, sigma_tps, size=(n, points * points, 2)))

    def __call__(self, z):
        """z: N,M,2 -> N,M,2"""
        out = torch.einsum("nij,nmj->nmi", self.A, z) + self.t[:, None]
        d = z[:, :, None, :] - self.c[None, None]                             # N,M,P,2
        r2 = (d * d).sum(-1)
        u = r2 * torch.log(r2 + 1e-9)
        return out + torch.einsum("nmp,npi->nmi", u, self.w)

    def jacobian(self, z):
        """dT/dz at z: N,M,2,2"""
        d = z[:, :, None, :] - self.c[None, None]                             # N,M,P,2
        r2 = (d * d).sum(-1)
        du = 2 * (torch.log(r2 + 1e-9) + 1)[..., None] * d                    # N,M,P,2 = dU/dz
        jac = torch.einsum("npi,nmpj->nmij", self.w, du)
        return jac + self.A[:, None]

    def warp_image(self, img):
        n, _, h, w = img.shape
        grid = identity_grid(h, w, img).view(1, h * w, 2).expand(n, h * w, 2)
        return warp(img, self(grid).view(n, h, w, 2))


def equivariance(kp_detector, image, kp, rng):
    """Returns (value loss, jacobian loss) for keypoints `kp` found on `image`."""
    tps = RandomTPS(rng, image.shape[0], image.device, dtype=image.dtype)
    kp_t = kp_detector(tps.warp_image(image))
    mapped = tps(kp_t["value"])
    value_loss = (kp["value"] - mapped).abs().mean()
    composed = torch.matmul(tps.jacobian(kp_t["value"]), kp_t["jacobian"])
    eye = torch.eye(2, device=image.device, dtype=image.dtype)
    jac_loss = (eye - torch.matmul(inverse_2x2(kp["jacobian"]), composed)).abs().mean()
    return value_loss, jac_loss


DEFAULT_WEIGHTS = {"l1": 1.0, "msssim": 1.0, "pyramid": 1.0, "equiv_value": 1.0, "equiv_jacobian": 0.5}


def reconstruction(out, target):
    return {
        "l1": (out - target).abs().mean(),
        "msssim": 1.0 - ms_ssim(out, target),
        "pyramid": pyramid_l1(out, target),
    }


def total(terms, weights):
    return sum(weights[k] * v for k, v in terms.items() if k in weights)
