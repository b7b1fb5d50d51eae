# SPDX-License-Identifier: BSD-2-Clause
"""Training data: talking-head clips -> cached square frames -> augmented pairs.

Pipeline
1. Decode. Each clip in the data folder (default ../shared/data/train beside
   the repository) is decoded once with the ffmpeg CLI into
   train/cache/<clip>.<size>.npy, uint8 N x size x size x 3 RGB (size 256 by
   default, the model size S, so the validation clips are evaluated at S), with
   a <clip>.<size>.json beside it (fps, frame count, crop rule, source size).
2. Square crop, no face detector (none can be downloaded). The clips are
   head-and-shoulders talking heads framed by a person or a face-crop tool, so
   the face sits near the horizontal centre and, in portrait video, in the
   upper half. The crop is a square with the side of the shorter dimension,
   centred horizontally; vertically it starts at CROP_TOP_FRACTION (0.35) of
   the spare height (0 = top, 0.5 = centre), i.e. upper-centre for portrait
   clips and the full height for landscape ones. The ffmpeg filter expressions
   use the post-rotation input size, so rotated phone video crops correctly.
   Scaling uses the area filter (no aliasing).
3. Split. VALIDATION_CLIPS are never used for training; the training clip list
   is sorted and its digest (sha256 over "name sha256-of-file" lines) is
   recorded in every checkpoint and run folder.
4. Pairs. A batch draws clips with probability ~ sqrt(frame count) (the
   1008-frame clip would otherwise dominate), then two frames of the clip
   uniformly: the reference (keyframe) and the driving (current) frame.
5. Augmentation, on the pair: one random square window of the cached frame
   with side between `crop` and the whole frame (so the face appears from the
   inference pixel scale down to half of it, and from the whole frame to a
   close-up), shifted at random, resampled to crop x crop (from a 2x
   average-pooled copy when it shrinks by more than 1.5x); a horizontal flip;
   colour jitter (brightness, contrast, saturation, gamma). The driving frame
   gets an extra small independent shift/scale/rotation (a camera that moves
   a little between keyframe and frame) and a tiny independent brightness
   change.

All randomness comes from one numpy Generator owned by the caller, so a
training run resumes exactly.

    /usr/bin/python3 train/data.py            # build the cache, print the split
"""

import argparse
import hashlib
import json
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "data", "train"))
DEFAULT_CACHE_DIR = os.path.join(HERE, "cache")
VALIDATION_CLIPS = (
    "LivePortrait__assets_examples_driving_d9.mp4",
    "video-retalking__examples_face_4.mp4",
)
CROP_TOP_FRACTION = 0.35
CACHE_VERSION = 2


def find_data_dir(path=None):
    for p in (path, os.environ.get("FACET_DATA_DIR"), DEFAULT_DATA_DIR,
              "/work/shared/data/train"):
        if p and os.path.isdir(p):
            return p
    raise FileNotFoundError("no clip folder: pass --data DIR or set FACET_DATA_DIR")


def list_clips(data_dir):
    return sorted(f for f in os.listdir(data_dir) if f.lower().endswith((".mp4", ".mkv", ".webm", ".mov")))


def split_clips(data_dir):
    clips = list_clips(data_dir)
    val = [c for c in clips if c in VALIDATION_CLIPS]
    train = [c for c in clips if c not in VALIDATION_CLIPS]
    return train, val


def file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def clip_list_digest(data_dir, clips):
    """sha256 over the sorted 'name sha256' lines of the clips."""
    lines = "".join(f"{c} {file_sha256(os.path.join(data_dir, c))}\n" for c in sorted(clips))
    return hashlib.sha256(lines.encode()).hexdigest()


def probe(path):
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
         "stream=width,height,avg_frame_rate,r_frame_rate", "-of", "json", path],
        check=True, capture_output=True, text=True).stdout
    s = json.loads(out)["streams"][0]
    rate = s.get("avg_frame_rate", "0/0")
    if rate in ("0/0", "0/1"):
        rate = s["r_frame_rate"]
    num, den = rate.split("/")
    return {"width": int(s["width"]), "height": int(s["height"]), "fps": float(num) / float(den)}


def crop_filter(size):
    side = "min(iw,ih)"
    return (f"crop=w='{side}':h='{side}':x='(iw-{side})/2':y='(ih-{side})*{CROP_TOP_FRACTION}',"
            f"scale={size}:{size}:flags=area")


def decode_clip(path, size):
    """All frames of a clip as uint8 N,size,size,3 (square crop, see module doc)."""
    # passthrough: one output frame per coded frame (no duplicates for variable-rate clips)
    raw = None
    for sync in (["-fps_mode", "passthrough"], ["-vsync", "passthrough"]):
        cmd = (["ffmpeg", "-v", "error", "-nostdin", "-i", path, "-vf", crop_filter(size)] + sync
               + ["-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"])
        res = subprocess.run(cmd, capture_output=True)
        if res.returncode == 0:
            raw = res.stdout
            break
    if raw is None:
        raise RuntimeError(f"ffmpeg failed on {path}: {res.stderr.decode(errors='replace')[-500:]}")
    frame_bytes = size * size * 3
    n = len(raw) // frame_bytes
    if n == 0:
        raise RuntimeError(f"ffmpeg decoded no frames from {path}")
    return np.frombuffer(raw[: n * frame_bytes], dtype=np.uint8).reshape(n, size, size, 3)


def cached_frames(data_dir, clip, size, cache_dir=DEFAULT_CACHE_DIR, mmap=True):
    """Frames of one clip from the cache, decoding it first if needed. Returns (frames, meta)."""
    os.makedirs(cache_dir, exist_ok=True)
    stem = os.path.join(cache_dir, f"{clip}.{size}")
    meta_path, npy_path = stem + ".json", stem + ".npy"
    src = os.path.join(data_dir, clip)
    meta = None
    if os.path.exists(meta_path) and os.path.exists(npy_path):
        with open(meta_path) as f:
            meta = json.load(f)
        st = os.stat(src)
        if (meta.get("version") != CACHE_VERSION or meta.get("crop") != crop_filter(size)
                or meta.get("source_bytes") != st.st_size):
            meta = None
    if meta is None:
        info = probe(src)
        frames = decode_clip(src, size)
        tmp = npy_path + ".tmp.npy"
        np.save(tmp, frames)
        os.replace(tmp, npy_path)
        meta = {"version": CACHE_VERSION, "clip": clip, "size": size, "frames": int(frames.shape[0]),
                "fps": info["fps"], "source_width": info["width"], "source_height": info["height"],
                "source_bytes": os.stat(src).st_size, "crop": crop_filter(size)}
        with open(meta_path + ".tmp", "w") as f:
            json.dump(meta, f, indent=1)
        os.replace(meta_path + ".tmp", meta_path)
    frames = np.load(npy_path, mmap_mode="r" if mmap else None)
    return frames, meta


class PairSampler:
    """Random augmented (reference, driving) pairs from the training clips."""

    def __init__(self, data_dir=None, size=256, cache_dir=DEFAULT_CACHE_DIR, clips=None, log=print):
        self.data_dir = find_data_dir(data_dir)
        train, _ = split_clips(self.data_dir)
        self.clips = sorted(clips) if clips is not None else train
        for c in self.clips:
            if c in VALIDATION_CLIPS:
                raise ValueError(f"validation clip {c} in the training set")
        if not self.clips:
            raise FileNotFoundError(f"no training clips in {self.data_dir}")
        self.size = size
        self.frames = []
        for c in self.clips:
            fr, meta = cached_frames(self.data_dir, c, size, cache_dir)
            self.frames.append(fr)
        counts = np.array([len(f) for f in self.frames], dtype=np.float64)
        self.weights = np.sqrt(counts) / np.sqrt(counts).sum()
        self.digest = clip_list_digest(self.data_dir, self.clips)
        log(f"data: {len(self.clips)} training clips, {int(counts.sum())} frames at {size}x{size}, "
            f"digest {self.digest[:16]}")

    def describe(self):
        return {"data_dir": self.data_dir, "clips": self.clips, "digest": self.digest,
                "frames": [len(f) for f in self.frames], "cache_size": self.size,
                "validation_clips": list(VALIDATION_CLIPS), "crop_top_fraction": CROP_TOP_FRACTION}

    def sample(self, rng, batch, crop, device="cpu"):
        """Returns (reference, driving), each batch,3,crop,crop float in [0, 1]."""
        raw = np.empty((2 * batch, self.size, self.size, 3), dtype=np.uint8)
        for i in range(batch):
            c = rng.choice(len(self.frames), p=self.weights)
            n = len(self.frames[c])
            a, b = rng.integers(0, n, size=2)
            raw[i] = self.frames[c][a]
            raw[batch + i] = self.frames[c][b]
        x = torch.from_numpy(raw).to(device).permute(0, 3, 1, 2).float().div_(255.0)
        params = self._augment_params(rng, batch, crop)
        x = geometric(x, params["theta"].to(device), params["shrink"], crop)
        x = colour(x, {k: v.to(device) for k, v in params["colour"].items()})
        return x[:batch].contiguous(), x[batch:].contiguous()

    def _augment_params(self, rng, batch, crop):
        S = self.size
        # window side as a fraction of the frame: from crop/S (inference pixel scale) to 1
        lo = min(1.0, crop / S)
        scale = rng.uniform(lo, 1.0, size=batch)
        # centre offset in [-1, 1] units: a share of the room left, biased to the middle
        room = 1.0 - scale
        cx = rng.uniform(-1, 1, size=batch) * room * 0.7
        cy = rng.uniform(-1, 1, size=batch) * room * 0.7
        flip = rng.random(batch) < 0.5
        # extra motion of the driving frame: small shift, scale and rotation
        d_shift = rng.uniform(-0.03, 0.03, size=(batch, 2))
        d_scale = np.exp(rng.uniform(-0.03, 0.03, size=batch))
        d_rot = rng.uniform(-3, 3, size=batch) * math.pi / 180
        theta = np.zeros((2 * batch, 2, 3))
        for i in range(batch):
            s = scale[i]
            fx = -1.0 if flip[i] else 1.0
            theta[i] = [[s * fx, 0, cx[i]], [0, s, cy[i]]]
            s2 = s * d_scale[i]
            co, si = math.cos(d_rot[i]), math.sin(d_rot[i])
            theta[batch + i] = [[s2 * co * fx, -s2 * si, cx[i] + d_shift[i, 0] * s],
                                [s2 * si * fx, s2 * co, cy[i] + d_shift[i, 1] * s]]
        shrink = np.concatenate([scale, scale * d_scale]) * S / crop > 1.5
        bright = rng.uniform(0.8, 1.2, size=batch)
        contrast = rng.uniform(0.8, 1.2, size=batch)
        sat = rng.uniform(0.7, 1.3, size=batch)
        gamma = np.exp(rng.uniform(-0.2, 0.2, size=batch))
        d_bright = rng.uniform(0.97, 1.03, size=batch)
        t = lambda a: torch.tensor(a, dtype=torch.float32)  # noqa: E731
        colour_params = {
            "bright": t(np.concatenate([bright, bright * d_bright])),
            "contrast": t(np.concatenate([contrast, contrast])),
            "sat": t(np.concatenate([sat, sat])),
            "gamma": t(np.concatenate([gamma, gamma])),
        }
        return {"theta": t(theta), "shrink": torch.from_numpy(shrink), "colour": colour_params}


def geometric(x, theta, shrink, crop):
    """Resample each image through its 2x3 affine (output coords -> input coords)."""
    n = x.shape[0]
    grid = F.affine_grid(theta, [n, 3, crop, crop], align_corners=False)
    full = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    if bool(shrink.any()):
        half = F.grid_sample(F.avg_pool2d(x, 2), grid, mode="bilinear", padding_mode="border",
                             align_corners=False)
        m = shrink.to(x.device).view(n, 1, 1, 1)
        full = torch.where(m, half, full)
    return full


def colour(x, p):
    v = lambda k: p[k].view(-1, 1, 1, 1)  # noqa: E731
    grey = (0.299 * x[:, 0:1] + 0.587 * x[:, 1:2] + 0.114 * x[:, 2:3])
    x = grey + (x - grey) * v("sat")
    mean = grey.mean(dim=(2, 3), keepdim=True)
    x = mean + (x - mean) * v("contrast")
    x = x * v("bright")
    x = x.clamp(0, 1) ** v("gamma")
    return x.clamp(0, 1)


def load_validation(data_dir=None, size=256, cache_dir=DEFAULT_CACHE_DIR):
    """[(clip, frames uint8 N,size,size,3, meta)] for the validation clips."""
    d = find_data_dir(data_dir)
    _, val = split_clips(d)
    out = []
    for c in val:
        fr, meta = cached_frames(d, c, size, cache_dir)
        out.append((c, fr, meta))
    return out


def to_tensor(frames, device="cpu"):
    """uint8 N,H,W,3 -> float N,3,H,W in [0, 1]."""
    return torch.from_numpy(np.array(frames, dtype=np.uint8, copy=True)).to(device).permute(0, 3, 1, 2).float().div_(255.0)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", help="clip folder (default ../shared/data/train)")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--preview", help="write a PNG contact sheet of augmented pairs here (needs ffmpeg)")
    args = ap.parse_args()
    d = find_data_dir(args.data)
    train, val = split_clips(d)
    sampler = PairSampler(d, args.size)
    for c, f in zip(sampler.clips, sampler.frames):
        print(f"train {c}: {len(f)} frames")
    for c, f, m in load_validation(d, args.size):
        print(f"val   {c}: {len(f)} frames at {m['fps']:.2f} fps")
    print("training clip digest:", sampler.digest)
    if args.preview:
        rng = np.random.default_rng(0)
        ref, drv = sampler.sample(rng, 8, 128)
        rows = torch.cat([torch.cat(list(ref), dim=2), torch.cat(list(drv), dim=2)], dim=1)
        img = (rows.permute(1, 2, 0).numpy() * 255 + 0.5).astype(np.uint8)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s",
                        f"{img.shape[1]}x{img.shape[0]}", "-i", "pipe:0", args.preview],
                       input=img.tobytes(), check=True)
        print("wrote", args.preview)


if __name__ == "__main__":
    main()
