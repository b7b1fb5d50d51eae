# SPDX-License-Identifier: BSD-2-Clause
"""Train the latent-tier network (latent_model.py) on real low-resolution streams.

    /usr/bin/python3 train/train_latent.py --steps 40000 --out train/runs/latent1
    /usr/bin/python3 train/train_latent.py --steps 40000 --out train/runs/latent1 --resume

Each step draws a batch at one scale r (alternating 2 and 4) from
latent_data.LatentSampler: decoded low-resolution frames of AV1/VP8 realtime
streams, coded references up to 30 s away (with photometric changes and
dropout), targets at S. Loss: face-weighted L1 + (1 - MS-SSIM) + pyramid L1
(losses.py). The log also prints the PSNR of the network, of its fixed
bilinear base and of a bicubic upscale on the training batch, so a run that
does not beat a plain upscale shows it at once. Checkpoints (latest.pt every
--ckpt-minutes, on SIGINT/SIGTERM and at the end) hold model, optimiser,
step and all random state; --resume continues exactly. Runs unchanged on CPU
(PyTorch 1.13) and CUDA (PyTorch 2.x).
"""

import argparse
import csv
import json
import math
import os
import signal
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import latent_data as LD  # noqa: E402
import latent_model as M  # noqa: E402
import losses as L  # noqa: E402

LOG_FIELDS = ["step", "time_s", "lr", "loss", "l1", "msssim", "pyramid", "motion", "psnr_net", "psnr_base",
              "psnr_bicubic", "psnr_y_net", "psnr_y_bicubic", "grad_norm", "s_per_step"]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=40000)
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128, help="training crop at S (multiple of 32)")
    ap.add_argument("--lr", type=float, default=5e-4)
    ap.add_argument("--warmup", type=int, default=300)
    ap.add_argument("--decay-start", type=float, default=0.6)
    ap.add_argument("--out", required=True)
    ap.add_argument("--resume", nargs="?", const="auto", default=None)
    ap.add_argument("--warm-start", action="store_true",
                    help="with --resume CKPT: take its weights only (a new run, schedule and optimiser)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--device", default="auto")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data")
    ap.add_argument("--sizes", default="256,512", help="frame sizes S the crops are cut from")
    ap.add_argument("--scales", default="2,4", help="r values, alternated per step")
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--log-every", type=int, default=20)
    ap.add_argument("--grad-clip", type=float, default=2.0)
    ap.add_argument("--w-l1", type=float, default=1.0)
    ap.add_argument("--w-msssim", type=float, default=0.5)
    ap.add_argument("--w-pyramid", type=float, default=0.5)
    ap.add_argument("--w-motion", type=float, default=0.0,
                    help="weight of the auxiliary motion loss: the clean reference warped by the "
                         "network's flow against the target, at S/2 (0: off)")
    ap.add_argument("--ref-dropout", type=float, default=LD.REF_DROPOUT,
                    help="share of samples without a reference (what the decoder holds before "
                         "the first, and all the time from an encoder with references off)")
    ap.add_argument("--loss-space", choices=("rgb", "yuv"), default="rgb",
                    help="reconstruction loss on RGB or on BT.601 Y, U, V weighed 4:1:1 like the "
                         "codec's metrics")
    ap.add_argument("--config", default="{}", help="model config overrides as JSON")
    args = ap.parse_args(argv)
    if args.crop % 32:
        ap.error("--crop must be a multiple of 32")
    return args


def learning_rate(args, step):
    lr = args.lr * min(1.0, (step + 1) / args.warmup)
    start = int(args.decay_start * args.steps)
    if step >= start and args.steps > start:
        t = (step - start) / (args.steps - start)
        lr *= 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
    return lr


def loss_terms(out, target, weight, space="rgb"):
    """The reconstruction terms in RGB, or in Y, U, V with the planes weighed
    as the codec's metrics weigh them (losses.PLANE_WEIGHTS). With the RGB
    loss part of the network's gain is colour, which those metrics weigh
    little (SSIM not at all); the Y, U, V loss alone did not raise the luma
    gain (docs/model-latent.md, "Luma")."""
    if space == "rgb":
        return {"l1": ((out - target).abs() * weight).mean() / weight.mean(),
                "msssim": 1.0 - L.ms_ssim(out.clamp(0, 1), target),
                "pyramid": L.pyramid_l1(out, target)}
    o, t = L.rgb_to_yuv(out), L.rgb_to_yuv(target)
    oc = L.rgb_to_yuv(out.clamp(0, 1))
    # x3: the same scale as the RGB terms, which average three channels
    pw = torch.tensor(L.PLANE_WEIGHTS, dtype=out.dtype, device=out.device).view(1, 3, 1, 1) * 3
    msssim = sum(w * L.ms_ssim(oc[:, c:c + 1], t[:, c:c + 1]) for c, w in enumerate(L.PLANE_WEIGHTS))
    return {"l1": ((o - t).abs() * pw * weight).mean() / weight.mean(),
            "msssim": 1.0 - msssim,
            "pyramid": L.pyramid_l1(o * pw, t * pw)}


def motion_loss(flow, ref_clean, target, has_ref):
    """L1 at S/2 between the clean reference warped by the flow and the
    target, over the samples that have a reference. The main loss reaches
    the flow only through the warped high frequencies, a weak and bumpy
    signal; this one tells the motion net directly where things moved."""
    s2 = target.shape[-1] // 2
    warped = M.warp(M.avg_pool(ref_clean, 2), M.flow_grid(flow, s2, s2))
    err = (warped - M.avg_pool(target, 2)).abs().mean(dim=(1, 2, 3))
    return (err * has_ref).sum() / has_ref.sum().clamp(min=1.0)


def save_checkpoint(path, model, opt, step, rng, args, data_info, elapsed):
    state = {"format": "facet-train-checkpoint-1", "architecture": M.ARCHITECTURE,
             "model_config": model.config, "model": model.state_dict(), "optimizer": opt.state_dict(),
             "step": step, "elapsed_s": elapsed, "numpy_rng": rng.bit_generator.state,
             "torch_rng": torch.get_rng_state(),
             "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
             "args": vars(args), "data": data_info}
    torch.save(state, path + ".tmp")
    os.replace(path + ".tmp", path)


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available()
                          else ("cpu" if args.device == "auto" else args.device))
    os.makedirs(args.out, exist_ok=True)
    latest = os.path.join(args.out, "latest.pt")
    log_path = os.path.join(args.out, "losses.csv")
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    config = json.loads(args.config)
    step, elapsed = 0, 0.0
    ck = None
    if args.resume:
        ck = torch.load(latest if args.resume == "auto" else args.resume, map_location="cpu")
        # the checkpoint's config, with --config's overrides (a new key starts
        # a design change from trained weights; see --warm-start)
        config = {**ck["model_config"], **config}
    model = M.build_model(config).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.9, 0.999))
    if ck is not None and args.warm_start:
        # weights only: a new schedule, optimiser and random state from step 0
        missing, unexpected = model.load_state_dict(ck["model"], strict=False)
        print(f"warm start from {args.resume} (step {ck['step']}); new: {missing}, dropped: {unexpected}",
              flush=True)
        ck = None
    if ck is not None:
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["optimizer"])
        step, elapsed = ck["step"], ck.get("elapsed_s", 0.0)
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
        print(f"resumed at step {step}", flush=True)
        if os.path.exists(log_path):
            with open(log_path) as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= step]
            with open(log_path, "w", newline="") as f:
                w = csv.DictWriter(f, fieldnames=LOG_FIELDS)
                w.writeheader()
                w.writerows(rows)

    sampler = LD.LatentSampler(args.data, [int(s) for s in args.sizes.split(",")],
                               log=lambda s: print(s, flush=True), ref_dropout=args.ref_dropout)
    data_info = sampler.describe()
    with open(os.path.join(args.out, "data.json"), "w") as f:
        json.dump(data_info, f, indent=1)
    scales = [int(s) for s in args.scales.split(",")]
    nparams = sum(p.numel() for p in model.parameters())
    print(f"device {device}, threads {torch.get_num_threads()}, torch {torch.__version__}, "
          f"{nparams} parameters, config {model.config}, batch {args.batch}, crop {args.crop}, "
          f"steps {step}->{args.steps}", flush=True)

    new_log = not os.path.exists(log_path)
    log_file = open(log_path, "a", newline="")
    log = csv.DictWriter(log_file, fieldnames=LOG_FIELDS)
    if new_log:
        log.writeheader()
    stop = {"flag": False}

    def on_signal(signum, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    weights = {"l1": args.w_l1, "msssim": args.w_msssim, "pyramid": args.w_pyramid, "motion": args.w_motion}
    t_start, elapsed0, last_ckpt = time.time(), elapsed, time.time()
    sums, count, t_int = {}, 0, time.time()

    def checkpoint():
        save_checkpoint(latest, model, opt, step, rng, args, data_info, elapsed0 + time.time() - t_start)
        log_file.flush()
        print(f"checkpoint step {step}", flush=True)

    model.train()
    while step < args.steps and not stop["flag"]:
        lr = learning_rate(args, step)
        for g in opt.param_groups:
            g["lr"] = lr
        r = scales[step % len(scales)]
        b = sampler.sample(rng, args.batch, args.crop, r, device)
        out = model(b["low"], b["ref"], r, b["has_ref"])
        terms = loss_terms(out["image"], b["target"], b["weight"], args.loss_space)
        if args.w_motion > 0:
            terms["motion"] = motion_loss(out["flow"], b["ref_clean"], b["target"], b["has_ref"])
        loss = sum(weights[k] * v for k, v in terms.items())
        opt.zero_grad()
        if not torch.isfinite(loss):
            print(f"step {step}: non-finite loss, batch skipped", flush=True)
            step += 1
            continue
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        step += 1
        with torch.no_grad():
            tgt = b["target"]
            bic = F.interpolate(b["low"], scale_factor=r, mode="bicubic", align_corners=False).clamp(0, 1)
            terms["psnr_net"] = L.psnr(out["image"].clamp(0, 1), tgt)
            terms["psnr_base"] = L.psnr(out["base"].clamp(0, 1), tgt)
            terms["psnr_bicubic"] = L.psnr(bic, tgt)
            luma = lambda x: L.rgb_to_yuv(x)[:, :1]  # noqa: E731
            terms["psnr_y_net"] = L.psnr(luma(out["image"].clamp(0, 1)), luma(tgt))
            terms["psnr_y_bicubic"] = L.psnr(luma(bic), luma(tgt))
        for k, v in terms.items():
            sums[k] = sums.get(k, 0.0) + float(v)
        sums["loss"] = sums.get("loss", 0.0) + float(loss)
        sums["grad_norm"] = sums.get("grad_norm", 0.0) + float(gnorm)
        count += 1
        if step % args.log_every == 0 or step == args.steps:
            sps = (time.time() - t_int) / count
            row = {k: f"{sums[k] / count:.5f}" for k in sums}
            row.update(step=step, time_s=f"{elapsed0 + time.time() - t_start:.1f}", lr=f"{lr:.3g}",
                       s_per_step=f"{sps:.3f}")
            log.writerow(row)
            log_file.flush()
            print(f"step {step} loss {row['loss']} psnr net {row['psnr_net']} base {row['psnr_base']} "
                  f"bicubic {row['psnr_bicubic']} Y net {row['psnr_y_net']} bicubic {row['psnr_y_bicubic']} "
                  f"gn {row['grad_norm']} lr {lr:.3g} {sps:.3f} s/step", flush=True)
            sums, count, t_int = {}, 0, time.time()
        if time.time() - last_ckpt >= args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = time.time()
    checkpoint()
    log_file.close()
    print("done" if step >= args.steps else "stopped", flush=True)


if __name__ == "__main__":
    main()
