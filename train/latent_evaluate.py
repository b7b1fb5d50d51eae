# SPDX-License-Identifier: BSD-2-Clause
"""Evaluate the latent-tier network on the validation clips, under codec conditions.

    /usr/bin/python3 train/latent_evaluate.py --checkpoint train/runs/latent1/latest.pt
    /usr/bin/python3 train/latent_evaluate.py --checkpoint ... --sizes 256,512 --levels av1-50,av1-63 --json out.json

For each validation clip, size S, scale r and base level, all three pictures
come from the SAME decoded low-resolution stream (latent_data.base_stream:
one realtime inter-coded AV1/VP8 stream, as the encoder sends it):
  lanczos   ffmpeg's Lanczos upscale of the decoded frames (what a WebRTC
            receiver shows when the sender lowered the resolution)
  noref     the network with no reference (all cached tensors zero)
  ref       the network with the reference: the clip's frame 0 coded as an
            AV1 intra picture (crf --ref-crf), renewed every --ref-seconds
            (default 30 s, the encoder's long interval), so references are as
            old as they are in use
Metrics on RGB in [0, 1] after rounding to 8 bits: PSNR, SSIM, MS-SSIM over
the whole frame, and PSNR and SSIM over the face box (latent_data.FACE_BOX);
and PSNR and SSIM of the BT.601 luma (losses.rgb_to_yuv), which dominates
the codec's own metrics (facet eval, facet-bandwidth).
Printed per clip and averaged over clips; --json writes everything, including
the base stream's rate.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import latent_data as LD  # noqa: E402
import latent_model as M  # noqa: E402
import losses as L  # noqa: E402


def lanczos(frames, side):
    n, s = frames.shape[0], frames.shape[1]
    cmd = ["ffmpeg", "-v", "error", "-nostdin", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{s}x{s}",
           "-i", "pipe:0", "-vf", f"scale={side}:{side}:flags=lanczos", "-f", "rawvideo", "-pix_fmt",
           "rgb24", "pipe:1"]
    out = subprocess.run(cmd, input=np.ascontiguousarray(frames).tobytes(), capture_output=True, check=True)
    return np.frombuffer(out.stdout, np.uint8).reshape(n, side, side, 3)


def metrics(x, y):
    """x, y: N,3,S,S in [0, 1] -> dict of per-frame lists."""
    S = x.shape[-1]
    x0, y0, x1, y1 = (int(round(f * S)) for f in LD.FACE_BOX)
    fx, fy = x[..., y0:y1, x0:x1], y[..., y0:y1, x0:x1]
    lx, ly = L.rgb_to_yuv(x)[:, :1], L.rgb_to_yuv(y)[:, :1]
    return {"psnr": L.psnr(x, y, per_image=True), "ssim": L.ssim(x, y, per_image=True),
            "msssim": L.ms_ssim(x, y, per_image=True), "face_psnr": L.psnr(fx, fy, per_image=True),
            "face_ssim": L.ssim(fx, fy, per_image=True), "psnr_y": L.psnr(lx, ly, per_image=True),
            "ssim_y": L.ssim(lx, ly, per_image=True)}


def to_t(a):
    return torch.from_numpy(np.ascontiguousarray(a)).permute(0, 3, 1, 2).float().div_(255.0)


def q8(x):
    return (x.clamp(0, 1) * 255 + 0.5).floor() / 255


def evaluate(model, data_dir, clip, S, r, codec, level, ref_crf, ref_seconds, every, max_frames, batch=8):
    frames, meta = D.cached_frames(data_dir, clip, S)
    base, bmeta = LD.base_stream(frames, meta, D.DEFAULT_CACHE_DIR, r, codec, level)
    refs, _ = LD.references(frames, meta, D.DEFAULT_CACHE_DIR, ref_crf)
    n = len(frames) if not max_frames else min(len(frames), max_frames)
    idx = np.arange(0, n, every)
    lz = lanczos(np.asarray(base[idx]), S)
    ref_period = max(1, int(round(ref_seconds * meta["fps"])))
    acc = {k: {} for k in ("lanczos", "noref", "ref")}
    zero = M.no_reference(model, 1, S, torch.zeros(1))
    with torch.no_grad():
        for start in range(0, len(idx), batch):
            sel = idx[start:start + batch]
            tgt = to_t(frames[sel])
            low = to_t(base[sel])
            out = {"lanczos": to_t(lz[start:start + batch])}
            out["noref"] = q8(model.render(low, {k: v.expand(len(sel), -1, -1, -1) for k, v in zero.items()},
                                           r)["image"])
            # the reference in use at frame t: the last one sent at a multiple of ref_period
            ref_ids = (sel // ref_period) * ref_period // LD.REF_STEP
            encs = {}
            imgs = []
            for j, t in enumerate(sel):
                k = int(ref_ids[j])
                if k not in encs:
                    encs = {k: model.encoder(to_t(refs[k:k + 1]), r)}
                imgs.append(model.render(low[j:j + 1], encs[k], r)["image"])
            out["ref"] = q8(torch.cat(imgs))
            for name, img in out.items():
                for mk, mv in metrics(img, tgt).items():
                    acc[name].setdefault(mk, []).extend(mv.tolist())
    res = {name: {mk: float(np.mean(v)) for mk, v in d.items()} for name, d in acc.items()}
    res["base_kbit_s"] = bmeta["kbit_s"]
    res["frames"] = int(len(idx))
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--data")
    ap.add_argument("--sizes", default="256")
    ap.add_argument("--scales", default="2,4")
    ap.add_argument("--levels", default="av1-50,av1-63", help="codec-level list of base streams")
    ap.add_argument("--ref-crf", type=int, default=LD.REF_CRFS[0])
    ap.add_argument("--ref-seconds", type=float, default=30.0)
    ap.add_argument("--every", type=int, default=1, help="evaluate every N-th frame")
    ap.add_argument("--max-frames", type=int, default=0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ck = torch.load(args.checkpoint, map_location="cpu")
    model = M.build_model(ck["model_config"])
    model.load_state_dict(ck["model"])
    model.eval()
    d = D.find_data_dir(args.data)
    _, val = D.split_clips(d)
    results = []
    for S in (int(s) for s in args.sizes.split(",")):
        for r in (int(s) for s in args.scales.split(",")):
            for lv in args.levels.split(","):
                codec, level = lv.split("-")
                per = []
                for clip in val:
                    res = evaluate(model, d, clip, S, r, codec, int(level), args.ref_crf, args.ref_seconds,
                                   args.every, args.max_frames)
                    res.update(clip=clip, size=S, r=r, codec=codec, level=int(level))
                    results.append(res)
                    per.append(res)
                    print(f"S {S} r {r} {lv} {clip[:34]:34s} {res['base_kbit_s']:5.1f} kbit/s | "
                          + " | ".join(f"{n} {res[n]['psnr']:.2f} dB {res[n]['ssim']:.4f} "
                                       f"face {res[n]['face_psnr']:.2f} Y {res[n]['psnr_y']:.2f}"
                                       for n in ("lanczos", "noref", "ref")),
                          flush=True)
                gain = np.mean([p["ref"]["psnr"] - p["lanczos"]["psnr"] for p in per])
                gain_face = np.mean([p["ref"]["face_psnr"] - p["lanczos"]["face_psnr"] for p in per])
                gain_ssim = np.mean([p["ref"]["ssim"] - p["lanczos"]["ssim"] for p in per])
                gain_nr = np.mean([p["noref"]["psnr"] - p["lanczos"]["psnr"] for p in per])
                gain_y = {n: np.mean([p[n]["psnr_y"] - p["lanczos"]["psnr_y"] for p in per])
                          for n in ("noref", "ref")}
                print(f"S {S} r {r} {lv} MEAN: ref - lanczos {gain:+.2f} dB (face {gain_face:+.2f}), "
                      f"SSIM {gain_ssim:+.4f}; noref - lanczos {gain_nr:+.2f} dB; luma: noref "
                      f"{gain_y['noref']:+.2f} dB, ref {gain_y['ref']:+.2f} dB", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"checkpoint": args.checkpoint, "step": ck["step"], "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
