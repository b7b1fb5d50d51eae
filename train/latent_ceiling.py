# SPDX-License-Identifier: BSD-2-Clause
"""What the latent tier's inputs allow at best: bounds that need no training.

    /usr/bin/python3 train/latent_ceiling.py --sizes 256 --levels av1-50,av1-63

On the validation clips, for the same decoded low-resolution stream as
latent_evaluate.py (every --every-th frame; the reference is the clip's
frame 0 coded as an AV1 intra picture at crf --ref-crf, renewed every 30 s,
as old as references are in use), luma PSNR (BT.601 Y, what the codec's
metrics weigh most) of:

  lanczos       ffmpeg's Lanczos upscale of the stream (the baseline)
  bilinear      the fixed upscale the network adds its output to
  highpass h    the network's output at its best under its high-pass:
                up(L) + highpass_{h r}(truth - up(L)), the truth's own
                detail above the band it may not touch (h = 2 is the
                shipped config). Far above anything measured: the
                high-pass is not what limits the network.
  ref, still    per 8x8 block the better of the bilinear upscale and the
                reference where it stands, the block chosen with the truth
                (an oracle): "detail" replaces only the upscale's band
                above the high-pass with the reference's (all the shipped
                design may take from it), "all" takes the reference's
                every band.
  ref, matched  the reference moved per 8x8 block by the integer shift
                (within --search pixels at S) whose low band best matches
                the decoded stream over the 16x16 window around the block:
                motion a decoder can find from what it holds. "oracle"
                picks the better of it and the bilinear upscale per block
                with the truth; "stream" picks it where its low-band match
                error is under --match-mse, a rule a decoder could apply.
                Again "detail" (its band above the high-pass on the upscale)
                and "all" (the moved reference itself).
  past frames   per 8x8 block the better of the bilinear upscale of this
                frame and of the mean of the last --past decoded frames
                (an oracle, no motion): what the stream's own history adds.

The oracles bound what a network could reach with perfect judgement; the
"stream" rows are what a plain decoder-side rule already reaches.

    /usr/bin/python3 train/latent_ceiling.py --sizes 256 --sender 2,30

With --sender, the judgement comes from the sender instead, which has the
truth: it sends a flag per 16x16 block ("take the reference here"), chosen
on frame t0 and used until the next choice K frames later. Measured on the
frame K/2 after each choice (on every K-th frame, not every --every-th),
with the flags' rate: the binary entropy of the flags that changed since
the last choice, per choice. For the reference where it stands ("still")
and moved by the stream's motion ("moved").
"""

import argparse
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import latent_data as LD  # noqa: E402
import latent_model as M  # noqa: E402
import losses as L  # noqa: E402
from latent_evaluate import lanczos, to_t  # noqa: E402

BLOCK = 8         # the unit an oracle chooses
MATCH_WINDOW = 16  # where the stream-side motion search compares low bands
SENDER_BLOCK = 16  # the unit the sender's flags choose


def luma(x):
    return L.rgb_to_yuv(x.clamp(0, 1))[:, :1]


def block_mse(x, truth):
    return F.avg_pool2d((x - truth) ** 2, BLOCK)


def psnr_of(mse_blocks):
    """Mean over frames of the frame PSNR, from per-block MSEs."""
    return float((10 * torch.log10(1 / mse_blocks.mean(dim=(1, 2, 3)).clamp(min=1e-12))).mean())


def moved_reference(R, up, r, search):
    """Motion from the stream: per 8x8 block, the reference shifted by the
    integer offset whose low band best matches the upscaled stream over
    the 16x16 window around the block. -> (moved reference, match MSE per block)."""
    S = R.shape[-1]
    pad = F.pad(R, (search,) * 4, mode="replicate")
    best = torch.full((R.shape[0], 1, S // BLOCK, S // BLOCK), float("inf"))
    moved = R.clone()
    for dy in range(-search, search + 1):
        for dx in range(-search, search + 1):
            cand = pad[..., search + dy:search + dy + S, search + dx:search + dx + S]
            err = F.avg_pool2d((M.resize_bilinear(M.avg_pool(cand, r), S, S) - up) ** 2, MATCH_WINDOW,
                               stride=BLOCK, padding=(MATCH_WINDOW - BLOCK) // 2, count_include_pad=False)
            better = err < best
            best = torch.where(better, err, best)
            moved = torch.where(F.interpolate(better.float(), scale_factor=BLOCK) > 0, cand, moved)
    return moved, best


def binary_entropy(p):
    return 0.0 if p <= 0.0 or p >= 1.0 else -(p * math.log2(p) + (1 - p) * math.log2(1 - p))


def sender_choice(frames, base, refs, ref_of, S, r, search, every_k, fps):
    """The sender's flags, chosen on frames t0 = 0, K, 2K..., used on t0 + K/2."""
    t0 = np.arange(0, len(frames) - every_k, every_k)
    t1 = t0 + every_k // 2

    def pictures(t):
        T = luma(to_t(np.asarray(frames[t])))
        up = luma(M.resize_bilinear(to_t(np.asarray(base[t])), S, S))
        R = luma(to_t(np.asarray(refs[ref_of(t)])))
        return T, up, {"still": R, "moved": moved_reference(R, up, r, search)[0]}

    def mse(x, truth):
        return F.avg_pool2d((x - truth) ** 2, SENDER_BLOCK)

    T0, up0, c0 = pictures(t0)
    T1, up1, c1 = pictures(t1)
    out = {"lanczos": psnr_of(mse(luma(to_t(lanczos(np.asarray(base[t1]), S))), T1))}
    for name in c0:
        flags = mse(c0[name], T0) < mse(up0, T0)
        used = torch.where(flags, mse(c1[name], T1), mse(up1, T1))
        changed = (flags[1:] != flags[:-1]).float().mean(dim=(1, 2, 3))
        blocks = flags[0].numel()
        bits = blocks * float(np.mean([binary_entropy(float(c)) for c in changed]))
        out[f"{name}, sender"] = psnr_of(used)
        out[f"{name}, sender's flags, kbit/s"] = bits * fps / every_k / 1000
    return out


def bounds(frames, base, refs, ref_ids, idx, S, r, search, match_mse, past, highpass=2):
    T = luma(to_t(np.asarray(frames[idx])))
    up = luma(M.resize_bilinear(to_t(np.asarray(base[idx])), S, S))
    lz = luma(to_t(lanczos(np.asarray(base[idx]), S)))
    R = luma(to_t(np.asarray(refs[ref_ids])))

    def resize(x):
        return M.resize_bilinear(x, S, S)

    def high(x, f):
        return x - resize(M.avg_pool(x, f))

    m_up = block_mse(up, T)
    out = {"lanczos": psnr_of(block_mse(lz, T)), "bilinear": psnr_of(m_up)}
    for h in (1, 2, 4):
        out[f"highpass {h}"] = psnr_of(block_mse(up + high(T - up, h * r), T))
    m_detail = block_mse(up + high(R - up, highpass * r), T)
    out["ref, still, detail"] = psnr_of(torch.minimum(m_up, m_detail))
    out["ref, still, all"] = psnr_of(torch.minimum(m_up, block_mse(R, T)))

    moved, best = moved_reference(R, up, r, search)
    use = best < match_mse
    for name, img in (("detail", up + high(moved - up, highpass * r)), ("all", moved)):
        m = block_mse(img, T)
        out[f"ref, matched, {name}, oracle"] = psnr_of(torch.minimum(m_up, m))
        out[f"ref, matched, {name}, stream"] = psnr_of(torch.where(use, m, m_up))
    out["ref, matched, share used by the stream rule"] = float(use.float().mean())
    history = sum(luma(M.resize_bilinear(to_t(np.asarray(base[np.maximum(idx - k, 0)])), S, S))
                  for k in range(past)) / past
    out["past frames, oracle"] = psnr_of(torch.minimum(m_up, block_mse(history, T)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data")
    ap.add_argument("--sizes", default="256")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--levels", default="av1-50,av1-63")
    ap.add_argument("--ref-crf", type=int, default=LD.REF_CRFS[0])
    ap.add_argument("--ref-seconds", type=float, default=30.0)
    ap.add_argument("--every", type=int, default=8)
    ap.add_argument("--search", type=int, default=6, help="motion search range, pixels at S")
    ap.add_argument("--match-mse", type=float, default=1.6e-3,
                    help="the stream rule's low-band match threshold (MSE of luma in [0, 1])")
    ap.add_argument("--past", type=int, default=4, help="decoded frames the history bound averages")
    ap.add_argument("--sender", default="",
                    help="instead of the bounds: the sender's flags, chosen every K frames (a list of K)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    d = D.find_data_dir(args.data)
    _, val = D.split_clips(d)
    for S in (int(s) for s in args.sizes.split(",")):
        for clip in val:
            frames, meta = D.cached_frames(d, clip, S)
            refs, _ = LD.references(frames, meta, D.DEFAULT_CACHE_DIR, args.ref_crf)
            idx = np.arange(0, len(frames), args.every)
            period = max(1, int(round(args.ref_seconds * meta["fps"])))

            def reference_of(t):
                """The reference in use at frame t: the last one sent at a multiple of the period."""
                return (t // period) * period // LD.REF_STEP

            ref_ids = reference_of(idx)
            for r in (int(s) for s in args.scales.split(",")):
                for lv in args.levels.split(","):
                    codec, level = lv.split("-")
                    base, bmeta = LD.base_stream(frames, meta, D.DEFAULT_CACHE_DIR, r, codec, int(level))
                    if args.sender:
                        res = {}
                        for k in (int(x) for x in args.sender.split(",")):
                            got = sender_choice(frames, base, refs, reference_of, S, r, args.search, k,
                                                meta["fps"])
                            res.update({f"every {k} frames: {name}": v for name, v in got.items()})
                    else:
                        res = bounds(frames, base, refs, ref_ids, idx, S, r, args.search, args.match_mse,
                                     args.past)
                    print(f"{clip} S {S} r {r} {lv} ({bmeta['kbit_s']:.1f} kbit/s), luma PSNR:", flush=True)
                    for k, v in res.items():
                        unit = "" if "share" in k or "kbit/s" in k else " dB"
                        print(f"  {k:45s} {v:6.2f}{unit}", flush=True)


if __name__ == "__main__":
    main()
