# SPDX-License-Identifier: BSD-2-Clause
"""Evaluate a checkpoint on the validation clips under codec conditions.

    /usr/bin/python3 train/evaluate.py --checkpoint train/runs/v1/latest.pt
    /usr/bin/python3 train/evaluate.py --checkpoint ... --keyframe-seconds 2 --max-frames 60 --video-dir /tmp/ev

For each validation clip (data.VALIDATION_CLIPS, cropped and cached at S x S,
S = --size, 256 by default): a keyframe at frame 0 and every
--keyframe-seconds; the keyframe is taken as received losslessly (the intra
codec is not simulated), its features are computed once, and its keypoints,
like those of every other frame, go through the bitstream quantisation of
quant.py. Every other frame is rendered from the keyframe and its own
quantised keypoints, rounded to 8 bits, and compared with the original:
PSNR, SSIM and MS-SSIM (losses.py), means over the predicted (non-key)
frames. "hold" is the baseline that shows the keyframe until the next one.
"""

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import losses as L  # noqa: E402
import model as M  # noqa: E402
import quant as Q  # noqa: E402


def load_model(path, device):
    ck = torch.load(path, map_location="cpu", weights_only=False)
    net = M.build_model(ck["model_config"])
    net.load_state_dict(ck["model"])
    return net.to(device).eval(), ck


def expand(t, n):
    return t.expand(n, *t.shape[1:])


@torch.no_grad()
def evaluate_clip(net, frames, fps, keyframe_seconds, device, chunk=16, quantise=True, max_frames=None):
    n = len(frames) if max_frames is None else min(len(frames), max_frames)
    interval = max(1, int(round(keyframe_seconds * fps))) if keyframe_seconds > 0 else n
    q = Q.quantise_keypoints if quantise else (lambda kp: kp)
    metrics = {"psnr": [], "ssim": [], "msssim": [], "hold_psnr": [], "hold_ssim": [], "hold_msssim": []}
    rendered = []
    for key in range(0, n, interval):
        ref = D.to_tensor(frames[key:key + 1], device)
        feats = net.encoder(ref)
        kp_ref = q(net.kp_detector(ref))
        rendered.append(ref)
        end = min(n, key + interval)
        for s in range(key + 1, end, chunk):
            e = min(end, s + chunk)
            cur = D.to_tensor(frames[s:e], device)
            b = cur.shape[0]
            kp_cur = q(net.kp_detector(cur))
            f = {k: expand(v, b) for k, v in feats.items()}
            kr = {k: expand(v, b) for k, v in kp_ref.items()}
            out = net.render(f, kr, kp_cur)["image"]
            out = torch.round(out * 255) / 255
            hold = expand(ref, b)
            metrics["psnr"] += L.psnr(out, cur, per_image=True).tolist()
            metrics["ssim"] += L.ssim(out, cur, per_image=True).tolist()
            metrics["msssim"] += L.ms_ssim(out, cur, per_image=True).tolist()
            metrics["hold_psnr"] += L.psnr(hold, cur, per_image=True).tolist()
            metrics["hold_ssim"] += L.ssim(hold, cur, per_image=True).tolist()
            metrics["hold_msssim"] += L.ms_ssim(hold, cur, per_image=True).tolist()
            rendered.append(out)
    return metrics, torch.cat(rendered)[:n], n, interval


def write_video(path, original, rendered, fps):
    """Side-by-side original | rendered as H.264 (needs ffmpeg)."""
    both = torch.cat([original, rendered], dim=3)
    img = (both.clamp(0, 1).permute(0, 2, 3, 1).cpu().numpy() * 255 + 0.5).astype(np.uint8)
    h, w = img.shape[1:3]
    subprocess.run(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
                    "-r", f"{fps:.3f}", "-i", "pipe:0", "-pix_fmt", "yuv420p", "-c:v", "libx264",
                    "-crf", "18", path], input=img.tobytes(), check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--keyframe-seconds", type=float, default=2.0, help="keyframe interval; 0 = only frame 0")
    ap.add_argument("--max-frames", type=int, help="evaluate only the first N frames of each clip")
    ap.add_argument("--size", type=int, default=256, help="model size S")
    ap.add_argument("--no-quant", action="store_true", help="skip keypoint quantisation")
    ap.add_argument("--data", help="clip folder (default ../shared/data/train)")
    ap.add_argument("--device", default="auto")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--json", help="write the numbers here")
    ap.add_argument("--video-dir", help="write original|rendered side-by-side mp4s here")
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    net, ck = load_model(args.checkpoint, device)
    print(f"checkpoint {args.checkpoint}: step {ck['step']}, S={args.size}, keyframe every "
          f"{args.keyframe_seconds}s, quantised keypoints: {not args.no_quant} "
          f"(position step {Q.POSITION_STEP:.6f}, jacobian step {Q.JACOBIAN_STEP:.6f})")
    result = {"checkpoint": args.checkpoint, "step": ck["step"], "size": args.size,
              "keyframe_seconds": args.keyframe_seconds, "quantised": not args.no_quant, "clips": {}}
    allm = {}
    for clip, frames, meta in D.load_validation(args.data, args.size):
        t0 = time.time()
        m, rendered, n, interval = evaluate_clip(net, frames, meta["fps"], args.keyframe_seconds, device,
                                                 quantise=not args.no_quant, max_frames=args.max_frames)
        dt = time.time() - t0
        means = {k: float(np.mean(v)) if v else float("nan") for k, v in m.items()}
        result["clips"][clip] = dict(means, frames=n, predicted=len(m["psnr"]), keyframe_interval=interval)
        for k, v in m.items():
            allm.setdefault(k, []).extend(v)
        print(f"{clip}: {n} frames ({len(m['psnr'])} predicted, keyframe every {interval}), "
              f"PSNR {means['psnr']:.2f} dB  SSIM {means['ssim']:.4f}  MS-SSIM {means['msssim']:.4f}   "
              f"| hold: PSNR {means['hold_psnr']:.2f} SSIM {means['hold_ssim']:.4f} "
              f"MS-SSIM {means['hold_msssim']:.4f}   ({dt / max(1, n):.3f} s/frame)")
        if args.video_dir:
            os.makedirs(args.video_dir, exist_ok=True)
            path = os.path.join(args.video_dir, clip.rsplit(".", 1)[0] + ".mp4")
            write_video(path, D.to_tensor(frames[:n]), rendered.cpu(), meta["fps"])
    overall = {k: float(np.mean(v)) for k, v in allm.items() if v}
    result["overall"] = overall
    print(f"overall ({len(allm.get('psnr', []))} predicted frames): PSNR {overall['psnr']:.2f} dB  "
          f"SSIM {overall['ssim']:.4f}  MS-SSIM {overall['msssim']:.4f}   | hold: PSNR "
          f"{overall['hold_psnr']:.2f} SSIM {overall['hold_ssim']:.4f} MS-SSIM {overall['hold_msssim']:.4f}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
