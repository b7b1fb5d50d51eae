# SPDX-License-Identifier: BSD-2-Clause
"""FLOP and parameter counter for the v1 network.

FLOPs are counted as 2 per multiply-accumulate (so 1 GMAC = 2 GFLOP). Convs
are counted exactly from their shapes; BatchNorm is counted as zero because it
is folded into the preceding conv at export; grid_sample counts 4 taps x 2
FLOPs per channel plus 10 per output pixel for the weights; softmax, sigmoid,
elementwise ops and the coordinate arithmetic are counted per element (small).
Parameters are counted after BN folding (conv weight + one bias per output
channel), which is what the exported fp16 file stores.

    /usr/bin/python3 train/flops.py [--size 256] [--checkpoint ckpt.pt]
"""

import argparse
import contextlib
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


class Counter:
    def __init__(self):
        self.conv = 0
        self.other = 0

    @property
    def total(self):
        return self.conv + self.other


@contextlib.contextmanager
def counting(net, counter):
    hooks = []

    def conv_hook(mod, inp, out):
        cin = mod.in_channels // mod.groups
        kh, kw = mod.kernel_size
        macs = out.numel() * cin * kh * kw
        counter.conv += 2 * macs + (out.numel() if mod.bias is not None else 0)

    for m in net.modules():
        if isinstance(m, nn.Conv2d):
            hooks.append(m.register_forward_hook(conv_hook))

    orig = {name: getattr(F, name) for name in ("grid_sample", "interpolate", "softmax",
                                                 "avg_pool2d", "relu")}
    orig_sigmoid = torch.sigmoid

    def grid_sample(x, grid, *a, **k):
        out = orig["grid_sample"](x, grid, *a, **k)
        px = grid.shape[0] * grid.shape[1] * grid.shape[2]
        counter.other += out.numel() * 8 + px * 10
        return out

    def interpolate(x, *a, **k):
        out = orig["interpolate"](x, *a, **k)
        counter.other += 0  # nearest upsampling is a copy
        return out

    def softmax(x, *a, **k):
        counter.other += 3 * x.numel()
        return orig["softmax"](x, *a, **k)

    def avg_pool2d(x, *a, **k):
        out = orig["avg_pool2d"](x, *a, **k)
        counter.other += 4 * out.numel()
        return out

    def relu(x, *a, **k):
        counter.other += x.numel()
        return orig["relu"](x, *a, **k)

    def sigmoid(x, *a, **k):
        counter.other += 4 * x.numel()
        return orig_sigmoid(x, *a, **k)

    F.grid_sample, F.interpolate, F.softmax = grid_sample, interpolate, softmax
    F.avg_pool2d, F.relu = avg_pool2d, relu
    torch.sigmoid = sigmoid
    try:
        yield counter
    finally:
        for h in hooks:
            h.remove()
        for name, fn in orig.items():
            setattr(F, name, fn)
        torch.sigmoid = orig_sigmoid


def folded_params(module):
    """Parameters after folding each BN into its conv (one bias per out channel)."""
    n = 0
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            n += m.weight.numel() + m.out_channels
    return n


def measure(net, size):
    net = net.eval()
    img = torch.rand(1, 3, size, size)
    res = {}
    with torch.no_grad():
        c = Counter()
        with counting(net, c):
            kp = net.kp_detector(img)
        res["keypoint_detector"] = c
        c = Counter()
        with counting(net, c):
            feats = net.encoder(img)
        res["reference_encoder"] = c
        kp2 = {k: v + 0.01 for k, v in kp.items()}
        c = Counter()
        with counting(net, c):
            motion = net.dense_motion(feats["small"], kp, kp2)
        res["dense_motion"] = c
        c = Counter()
        with counting(net, c):
            net.decoder(feats, motion["flow"], motion["occlusion"])
        res["decoder"] = c
    params = {
        "keypoint_detector": folded_params(net.kp_detector),
        "reference_encoder": folded_params(net.encoder),
        "dense_motion": folded_params(net.dense_motion),
        "decoder": folded_params(net.decoder),
    }
    return res, params


def report(net, size):
    res, params = measure(net, size)
    lines = [f"Facet v1 at S={size} (FLOPs = 2 x MACs; BN folded)",
             f"{'component':<20} {'GFLOP':>8} {'(conv)':>8} {'params':>9} {'fp16 KiB':>9}"]
    for name in res:
        c = res[name]
        lines.append(f"{name:<20} {c.total / 1e9:8.3f} {c.conv / 1e9:8.3f} {params[name]:9d} "
                     f"{params[name] * 2 / 1024:9.1f}")
    render = res["dense_motion"].total + res["decoder"].total
    total_params = sum(params.values())
    lines.append(f"{'renderer/frame':<20} {render / 1e9:8.3f}   (dense_motion + decoder)")
    lines.append(f"{'sender/frame':<20} {res['keypoint_detector'].total / 1e9:8.3f}   (keypoint_detector)")
    lines.append(f"{'per keyframe':<20} {res['reference_encoder'].total / 1e9:8.3f}   (reference_encoder)")
    lines.append(f"{'total params':<20} {total_params:9d}  = {total_params * 2 / 1024 / 1024:.3f} MiB fp16")
    return "\n".join(lines), res, params


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--checkpoint", help="take the architecture from a training checkpoint")
    args = ap.parse_args()
    config = None
    if args.checkpoint:
        config = torch.load(args.checkpoint, map_location="cpu", weights_only=False)["model_config"]
    text, _, _ = report(M.build_model(config), args.size)
    print(text)


if __name__ == "__main__":
    main()
