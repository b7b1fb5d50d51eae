# SPDX-License-Identifier: BSD-2-Clause
"""Training data of the latent tier: real low-resolution AV1/VP8 streams of the clips.

The latent tier sends every frame as a low-resolution picture (S/r per side)
in ONE inter-coded AV1 (or VP8) realtime stream, and a high-resolution
reference now and then. The network must learn to upsample what that codec
really delivers, so the inputs here are not clean downscales:

1. Frames at S (data.cached_frames: square crop, area scaling) for
   S in --sizes (256, and 512 for clips whose source is at least 512).
2. Base streams. Each clip is downscaled by r (area filter) and coded ONCE
   per (codec, level) as one realtime inter-coded stream, with the settings
   of the C encoder (libaom: -usage realtime -cpu-used 8 -lag-in-frames 0,
   constant quality crf, a single keyframe at the start; libvpx VP8:
   -deadline realtime -cpu-used 8, target bitrate). The decoded frames are
   cached as uint8 N x S/r x S/r x 3 with the stream's size in bytes, so the
   rate of each level is known (cache/<clip>.<S>.<codec>-r<r>-<level>.npy).
3. References. Every REF_STEP-th frame of a clip is coded as an AV1 intra
   picture at S at two qualities (what the encoder sends as a reference)
   and cached the same way.
4. Samples. A clip (weight ~ sqrt(frames)), a size, r in {2, 4}, a base
   stream level, a target frame t and a reference frame up to
   RECENT_REF_AGE_S seconds away (half the samples) or up to MAX_REF_AGE_S
   (the other half, uniform in time: references age up to the encoder's
   long interval); a random crop (aligned to r) of the target and the
   same window of the decoded low-resolution frame and of the reference; one
   of the 8 rotations/flips applied to all three (they commute exactly with
   the downscale); then on the reference alone: a small shift, and with
   probability REF_PHOTO_P an exposure, white-balance and gamma change, so
   the network learns to take detail, not brightness, from it; with
   probability REF_DROPOUT the reference is removed (all-zero, as the
   decoder holds before the first reference arrives).

    /usr/bin/python3 train/latent_data.py          # build every cache, print rates
"""

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402

CODEC_CACHE_VERSION = 1
SCALES = (2, 4)
# Base stream levels. AV1: constant quality (crf). VP8: target bit/s at
# 128x128, scaled with the pixel count for larger streams and with the side
# for smaller ones (VP8 has a high per-frame floor at 64x64).
AV1_LEVELS = (40, 50, 57, 63)
VP8_LEVELS = (10000, 25000)
REF_STEP = 4                # every 4th frame is a possible reference
REF_CRFS = (32, 42)          # AV1 intra quality of references
MAX_REF_AGE_S = 30.0
# Half the references are recent (what the encoder's drift trigger and a
# reference request give), half up to MAX_REF_AGE_S old: with ages uniform
# up to 30 s the first model rarely saw a reference worth trusting and
# learned to lean on it little (+0.02-0.09 dB over no reference).
RECENT_REF_SHARE = 0.5
RECENT_REF_AGE_S = 3.0
REF_DROPOUT = 0.15
REF_PHOTO_P = 0.5
MIN_SOURCE_SIDE_FOR_512 = 512


def base_levels():
    return [("av1", q) for q in AV1_LEVELS] + [("vp8", b) for b in VP8_LEVELS]


def level_name(codec, level):
    return f"{codec}-{level}"


def encode_args(codec, level, side):
    """ffmpeg encoder options of a base stream; the C encoder uses the same."""
    if codec == "av1":
        return ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-crf", str(level),
                "-b:v", "0", "-lag-in-frames", "0", "-g", "100000", "-threads", "1", "-f", "ivf"]
    if codec == "vp8":
        rate = int(level * (side * side) / (128 * 128)) if side > 128 else int(level * side / 128)
        return ["-c:v", "libvpx", "-deadline", "realtime", "-cpu-used", "8", "-b:v", str(rate),
                "-lag-in-frames", "0", "-g", "100000", "-threads", "1", "-f", "ivf"]
    raise ValueError(codec)


def decoder_args(codec):
    return ["-c:v", "libdav1d"] if codec == "av1" else []


def run_codec(frames, fps, out_side, enc_args, dec_args, select=None):
    """Codes uint8 N,S,S,3 frames (downscaled to out_side by the area filter)
    with ffmpeg; returns (decoded uint8 M,out_side,out_side,3, stream bytes)."""
    n, s = frames.shape[0], frames.shape[1]
    vf = f"scale={out_side}:{out_side}:flags=area,format=yuv420p"
    if select:
        vf = f"select='{select}'," + vf
    with tempfile.TemporaryDirectory() as tmp:
        stream = os.path.join(tmp, "s.ivf")
        cmd = (["ffmpeg", "-v", "error", "-nostdin", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                "-s", f"{s}x{s}", "-r", f"{fps:.6f}", "-i", "pipe:0", "-vf", vf,
                "-fps_mode", "passthrough"] + enc_args + [stream])
        res = subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), capture_output=True)
        if res.returncode:
            raise RuntimeError("encode failed: " + res.stderr.decode(errors="replace")[-400:])
        size = os.path.getsize(stream)
        cmd = (["ffmpeg", "-v", "error", "-nostdin"] + dec_args
               + ["-i", stream, "-fps_mode", "passthrough", "-f", "rawvideo", "-pix_fmt", "rgb24", "pipe:1"])
        res = subprocess.run(cmd, capture_output=True)
        if res.returncode:
            raise RuntimeError("decode failed: " + res.stderr.decode(errors="replace")[-400:])
    fb = out_side * out_side * 3
    m = len(res.stdout) // fb
    return np.frombuffer(res.stdout[: m * fb], dtype=np.uint8).reshape(m, out_side, out_side, 3), size


def _cached(path_stem, meta_expect, build):
    meta_path, npy_path = path_stem + ".json", path_stem + ".npy"
    if os.path.exists(meta_path) and os.path.exists(npy_path):
        with open(meta_path) as f:
            meta = json.load(f)
        if all(meta.get(k) == v for k, v in meta_expect.items()):
            return np.load(npy_path, mmap_mode="r"), meta
    arr, extra = build()
    np.save(npy_path + ".tmp.npy", arr)
    os.replace(npy_path + ".tmp.npy", npy_path)
    meta = dict(meta_expect, **extra)
    with open(meta_path + ".tmp", "w") as f:
        json.dump(meta, f, indent=1)
    os.replace(meta_path + ".tmp", meta_path)
    return np.load(npy_path, mmap_mode="r"), meta


def base_stream(frames, meta, cache_dir, r, codec, level):
    """Decoded frames of the clip's low-resolution base stream, cached."""
    s = meta["size"]
    side = s // r
    enc = encode_args(codec, level, side)
    expect = {"version": CODEC_CACHE_VERSION, "clip": meta["clip"], "size": s, "r": r,
              "codec": codec, "level": level, "encoder": enc, "frames": meta["frames"]}
    stem = os.path.join(cache_dir, f"{meta['clip']}.{s}.{codec}-r{r}-{level}")

    def build():
        dec, nbytes = run_codec(frames, meta["fps"], side, enc, decoder_args(codec))
        if dec.shape[0] != frames.shape[0]:
            raise RuntimeError(f"{meta['clip']}: {codec} gave {dec.shape[0]} of {frames.shape[0]} frames")
        kbps = nbytes * 8 / 1000 / (frames.shape[0] / meta["fps"])
        return dec, {"bytes": nbytes, "kbit_s": kbps}
    return _cached(stem, expect, build)


def references(frames, meta, cache_dir, crf):
    """Every REF_STEP-th frame coded as an AV1 intra picture at S, cached."""
    s = meta["size"]
    enc = ["-c:v", "libaom-av1", "-usage", "realtime", "-cpu-used", "8", "-crf", str(crf), "-b:v", "0",
           "-g", "1", "-threads", "1", "-f", "ivf"]
    expect = {"version": CODEC_CACHE_VERSION, "clip": meta["clip"], "size": s, "step": REF_STEP,
              "encoder": enc, "frames": meta["frames"]}
    stem = os.path.join(cache_dir, f"{meta['clip']}.{s}.ref-{crf}")

    def build():
        dec, nbytes = run_codec(frames, meta["fps"], s, enc, decoder_args("av1"),
                                select=f"not(mod(n\\,{REF_STEP}))")
        want = (frames.shape[0] + REF_STEP - 1) // REF_STEP
        if dec.shape[0] != want:
            raise RuntimeError(f"{meta['clip']}: references gave {dec.shape[0]} of {want}")
        return dec, {"bytes_per_reference": nbytes / max(1, want)}
    return _cached(stem, expect, build)


class ClipSet:
    """Frames at S, base streams and references of one clip at one size."""

    def __init__(self, data_dir, clip, size, cache_dir, levels):
        self.frames, self.meta = D.cached_frames(data_dir, clip, size, cache_dir)
        self.size = size
        self.fps = self.meta["fps"]
        self.base = {}
        self.rates = {}
        for r in SCALES:
            for codec, level in levels:
                arr, m = base_stream(self.frames, self.meta, cache_dir, r, codec, level)
                self.base[(r, codec, level)] = arr
                self.rates[(r, codec, level)] = m["kbit_s"]
        self.refs = [references(self.frames, self.meta, cache_dir, q)[0] for q in REF_CRFS]


def build_clipsets(data_dir, clips, sizes, cache_dir, levels, workers=2, log=print):
    jobs = []
    for c in clips:
        for s in sizes:
            if s > 256:
                info = D.probe(os.path.join(data_dir, c))
                if min(info["width"], info["height"]) < MIN_SOURCE_SIDE_FOR_512:
                    continue
            jobs.append((c, s))
    with ThreadPoolExecutor(workers) as ex:
        sets = list(ex.map(lambda j: ClipSet(data_dir, j[0], j[1], cache_dir, levels), jobs))
    for (c, s), cs in zip(jobs, sets):
        rates = ", ".join(f"r{r} {cd}-{lv} {v:.1f}" for (r, cd, lv), v in sorted(cs.rates.items()))
        log(f"{c} @{s}: {len(cs.frames)} frames; kbit/s {rates}")
    return sets


class LatentSampler:
    """Random (low-res, reference, target, face weight) training samples."""

    def __init__(self, data_dir=None, sizes=(256, 512), cache_dir=D.DEFAULT_CACHE_DIR, log=print,
                 ref_dropout=REF_DROPOUT):
        self.ref_dropout = ref_dropout
        self.data_dir = D.find_data_dir(data_dir)
        train, _ = D.split_clips(self.data_dir)
        self.clips = train
        self.levels = base_levels()
        self.sets = build_clipsets(self.data_dir, train, sizes, cache_dir, self.levels, log=log)
        counts = np.array([len(s.frames) for s in self.sets], dtype=np.float64)
        self.weights = np.sqrt(counts) / np.sqrt(counts).sum()
        self.digest = D.clip_list_digest(self.data_dir, self.clips)
        log(f"latent data: {len(self.sets)} clip sizes, {int(counts.sum())} frames, digest {self.digest[:16]}")

    def describe(self):
        return {"data_dir": self.data_dir, "clips": self.clips, "digest": self.digest,
                "sets": [[s.meta["clip"], s.size, len(s.frames)] for s in self.sets],
                "levels": self.levels, "scales": list(SCALES), "ref_crfs": list(REF_CRFS),
                "max_ref_age_s": MAX_REF_AGE_S, "recent_ref_share": RECENT_REF_SHARE,
                "recent_ref_age_s": RECENT_REF_AGE_S, "ref_dropout": self.ref_dropout,
                "validation_clips": list(D.VALIDATION_CLIPS)}

    def sample(self, rng, batch, crop, r, device="cpu"):
        """Returns dict of float tensors in [0, 1]: low (N,3,crop/r,crop/r),
        ref and target (N,3,crop,crop), has_ref (N,), face weight (N,1,crop,crop)."""
        lo = np.empty((batch, crop // r, crop // r, 3), np.uint8)
        ref = np.empty((batch, crop, crop, 3), np.uint8)
        tgt = np.empty((batch, crop, crop, 3), np.uint8)
        wgt = np.empty((batch, 1, crop, crop), np.float32)
        has_ref = rng.random(batch) >= self.ref_dropout
        for i in range(batch):
            cs = self.sets[rng.choice(len(self.sets), p=self.weights)]
            codec, level = self.levels[rng.integers(len(self.levels))]
            base = cs.base[(r, codec, level)]
            n = len(cs.frames)
            t = int(rng.integers(n))
            age_s = RECENT_REF_AGE_S if rng.random() < RECENT_REF_SHARE else MAX_REF_AGE_S
            span = int(age_s * cs.fps)
            a = int(rng.integers(max(0, t - span), min(n, t + span + 1)))
            a = min(a // REF_STEP, len(cs.refs[0]) - 1)
            refs = cs.refs[rng.integers(len(cs.refs))]
            S = cs.size
            # window aligned to r so the low-res crop is exact; centre-biased
            room = S - crop
            y = int(np.clip(rng.normal(room * 0.45, room * 0.25), 0, room)) // r * r
            x = int(np.clip(rng.normal(room * 0.5, room * 0.25), 0, room)) // r * r
            tgt[i] = cs.frames[t, y:y + crop, x:x + crop]
            lo[i] = base[t, y // r:(y + crop) // r, x // r:(x + crop) // r]
            # the reference window moves a little (a reference is never exactly aligned)
            dy = int(np.clip(y + rng.integers(-crop // 16, crop // 16 + 1), 0, room))
            dx = int(np.clip(x + rng.integers(-crop // 16, crop // 16 + 1), 0, room))
            ref[i] = refs[a, dy:dy + crop, dx:dx + crop]
            wgt[i, 0] = face_weight(S, y, x, crop)
        k = int(rng.integers(8))
        to_t = lambda a: torch.from_numpy(dihedral(a, k)).to(device).permute(0, 3, 1, 2).float().div_(255.0)  # noqa: E731
        out = {"low": to_t(lo), "ref": to_t(ref), "target": to_t(tgt),
               "weight": torch.from_numpy(dihedral(wgt.transpose(0, 2, 3, 1), k).transpose(0, 3, 1, 2).copy()).to(device)}
        # the reference as coded, before the photometric changes: what an
        # auxiliary motion loss compares the warped reference against
        out["ref_clean"] = out["ref"]
        out["ref"] = reference_photometric(rng, out["ref"])
        hr = torch.from_numpy(has_ref.astype(np.float32)).to(device)
        out["ref"] = out["ref"] * hr.view(-1, 1, 1, 1)
        out["has_ref"] = hr
        return out


def dihedral(a, k):
    """One of the 8 rotations/flips of N,H,W,C arrays (exact, so it commutes with the downscale)."""
    if k & 4:
        a = a.transpose(0, 2, 1, 3)
    a = np.rot90(a, k & 3, axes=(1, 2))
    return np.ascontiguousarray(a)


def face_weight(S, y, x, crop):
    """Loss weight 1 + 2 g, g a Gaussian where the square crop puts the face
    (centre 0.5, 0.45 of the frame, sigma 0.18 of the side): the gain must
    not come only from the background."""
    ys = (np.arange(y, y + crop) + 0.5) / S
    xs = (np.arange(x, x + crop) + 0.5) / S
    g = np.exp(-((ys[:, None] - FACE_CY) ** 2 + (xs[None, :] - FACE_CX) ** 2) / (2 * FACE_SIGMA ** 2))
    return 1.0 + 2.0 * g


FACE_CX, FACE_CY, FACE_SIGMA = 0.5, 0.45, 0.18
# Face region for evaluation (fractions of the square frame: x0, y0, x1, y1).
FACE_BOX = (0.28, 0.16, 0.72, 0.74)


def reference_photometric(rng, x):
    """Exposure, white balance and gamma changes on the reference alone."""
    n = x.shape[0]
    apply = rng.random(n) < REF_PHOTO_P
    gain = np.where(apply, np.exp(rng.uniform(-0.35, 0.35, n)), 1.0)
    wb = np.where(apply[:, None], np.exp(rng.uniform(-0.12, 0.12, (n, 3))), 1.0)
    gamma = np.where(apply, np.exp(rng.uniform(-0.25, 0.25, n)), 1.0)
    t = lambda a: torch.tensor(a, dtype=torch.float32, device=x.device)  # noqa: E731
    y = x.clamp(0, 1) ** t(gamma).view(n, 1, 1, 1)
    y = y * t(gain).view(n, 1, 1, 1) * t(wb).view(n, 3, 1, 1)
    return y.clamp(0, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data")
    ap.add_argument("--sizes", default="256,512")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    d = D.find_data_dir(args.data)
    train, val = D.split_clips(d)
    sizes = [int(s) for s in args.sizes.split(",")]
    build_clipsets(d, train + val, sizes, D.DEFAULT_CACHE_DIR, base_levels(), workers=args.workers)


if __name__ == "__main__":
    main()
