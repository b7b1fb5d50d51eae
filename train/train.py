# SPDX-License-Identifier: BSD-2-Clause
"""Train the Facet v1 network end to end.

    /usr/bin/python3 train/train.py --steps 200000 --batch 8 --crop 128 --threads 2 --out train/runs/v1
    /usr/bin/python3 train/train.py --out train/runs/v1 --resume      # continue from runs/v1/latest.pt

Each step draws `batch` (reference, driving) pairs (see data.py), detects
keypoints on both, perturbs them by one quantisation step (quant.py) the way
the bitstream will, renders the driving frame from the reference, and
minimises L1 + MS-SSIM + pyramid L1 plus the keypoint equivariance losses
(losses.py). The run folder gets latest.pt (every --ckpt-minutes and at the
end, or on SIGINT/SIGTERM), step_NNNNNNN.pt snapshots (every
--snapshot-minutes), losses.csv, and data.json (training clips and digest).
A checkpoint holds model, optimizer, step, and all random state, so --resume
continues exactly where it stopped. Runs unchanged on CPU (PyTorch 1.13) and
CUDA (PyTorch 2.x); --device auto picks CUDA when there is one.
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
import losses as L  # noqa: E402
import model as M  # noqa: E402
import quant as Q  # noqa: E402

LOG_FIELDS = ["step", "time_s", "lr", "loss", "l1", "msssim", "pyramid", "equiv_value",
              "equiv_jacobian", "grad_norm", "s_per_step"]


def parse_args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=200000, help="total optimiser steps")
    ap.add_argument("--batch", type=int, default=8)
    ap.add_argument("--crop", type=int, default=128, help="training crop (multiple of 32)")
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--warmup", type=int, default=500, help="linear LR warm-up steps")
    ap.add_argument("--decay-start", type=float, default=0.75,
                    help="fraction of --steps after which the LR decays (cosine) to 5%%")
    ap.add_argument("--out", required=True, help="run folder")
    ap.add_argument("--resume", nargs="?", const="auto", default=None,
                    help="checkpoint to resume from (default OUT/latest.pt)")
    ap.add_argument("--threads", type=int, default=2, help="torch.set_num_threads")
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--data", help="clip folder (default ../shared/data/train)")
    ap.add_argument("--cache-size", type=int, default=256, help="side of the cached frames")
    ap.add_argument("--ckpt-minutes", type=float, default=10.0)
    ap.add_argument("--snapshot-minutes", type=float, default=60.0)
    ap.add_argument("--log-every", type=int, default=10)
    ap.add_argument("--grad-clip", type=float, default=5.0)
    for k, v in L.DEFAULT_WEIGHTS.items():
        ap.add_argument("--w-" + k.replace("_", "-"), type=float, default=v, dest="w_" + k)
    args = ap.parse_args(argv)
    if args.crop % 32:
        ap.error("--crop must be a multiple of 32")
    return args


def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def learning_rate(args, step):
    lr = args.lr
    if step < args.warmup:
        lr *= (step + 1) / args.warmup
    start = int(args.decay_start * args.steps)
    if step >= start and args.steps > start:
        t = (step - start) / (args.steps - start)
        lr *= 0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * min(1.0, t)))
    return lr


def save_checkpoint(path, model, opt, step, rng, args, data_info, elapsed):
    state = {
        "format": "facet-train-checkpoint-1",
        "architecture": M.ARCHITECTURE,
        "model_config": model.config,
        "model": model.state_dict(),
        "optimizer": opt.state_dict(),
        "step": step,
        "elapsed_s": elapsed,
        "numpy_rng": rng.bit_generator.state,
        "torch_rng": torch.get_rng_state(),
        "cuda_rng": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None,
        "args": vars(args),
        "data": data_info,
        "quant": {"position_step": Q.POSITION_STEP, "jacobian_step": Q.JACOBIAN_STEP,
                  "position_range": [Q.POSITION_MIN, Q.POSITION_MAX],
                  "jacobian_range": [Q.JACOBIAN_MIN, Q.JACOBIAN_MAX]},
    }
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def trim_log(path, step):
    """Drop log rows past `step` (they are replayed after a resume)."""
    if not os.path.exists(path):
        return
    with open(path) as f:
        rows = list(csv.DictReader(f))
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=LOG_FIELDS)
        w.writeheader()
        for r in rows:
            if int(r["step"]) <= step:
                w.writerow({k: r.get(k, "") for k in LOG_FIELDS})


def train_step(model, batch, rng, args, weights, device):
    ref, drv = batch
    kp_ref = model.kp_detector(ref)
    kp_drv = model.kp_detector(drv)

    def uniform(shape):
        return torch.from_numpy(rng.uniform(-0.5, 0.5, size=tuple(shape)).astype(np.float32)).to(device)

    out = model.render(model.encoder(ref), Q.keypoint_noise_like(kp_ref, uniform),
                       Q.keypoint_noise_like(kp_drv, uniform))
    terms = L.reconstruction(out["image"], drv)
    terms["equiv_value"], terms["equiv_jacobian"] = L.equivariance(model.kp_detector, drv, kp_drv, rng)
    return L.total(terms, weights), terms


def main(argv=None):
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    device = pick_device(args.device)
    os.makedirs(args.out, exist_ok=True)
    latest = os.path.join(args.out, "latest.pt")
    log_path = os.path.join(args.out, "losses.csv")

    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    model = M.build_model().to(device)
    opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.999))
    step, elapsed = 0, 0.0

    if args.resume:
        path = latest if args.resume == "auto" else args.resume
        ck = torch.load(path, map_location="cpu", weights_only=False)
        model = M.build_model(ck["model_config"]).to(device)
        model.load_state_dict(ck["model"])
        opt = torch.optim.Adam(model.parameters(), lr=args.lr, betas=(0.5, 0.999))
        opt.load_state_dict(ck["optimizer"])
        step, elapsed = ck["step"], ck.get("elapsed_s", 0.0)
        rng.bit_generator.state = ck["numpy_rng"]
        torch.set_rng_state(ck["torch_rng"])
        if ck.get("cuda_rng") is not None and device.type == "cuda":
            torch.cuda.set_rng_state_all(ck["cuda_rng"])
        trim_log(log_path, step)
        print(f"resumed {path} at step {step}", flush=True)

    sampler = D.PairSampler(args.data, args.cache_size, log=lambda s: print(s, flush=True))
    data_info = sampler.describe()
    with open(os.path.join(args.out, "data.json"), "w") as f:
        json.dump(data_info, f, indent=1)
    weights = {k: getattr(args, "w_" + k) for k in L.DEFAULT_WEIGHTS}
    nparams = sum(p.numel() for p in model.parameters())
    print(f"device {device}, threads {torch.get_num_threads()}, torch {torch.__version__}, "
          f"{nparams} parameters, batch {args.batch}, crop {args.crop}, steps {step}->{args.steps}",
          flush=True)

    new_log = not os.path.exists(log_path)
    log_file = open(log_path, "a", newline="")
    log = csv.DictWriter(log_file, fieldnames=LOG_FIELDS)
    if new_log:
        log.writeheader()

    stop = {"flag": False}

    def on_signal(signum, frame):
        print(f"signal {signum}: saving and stopping", flush=True)
        stop["flag"] = True

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    model.train()
    t_start = time.time()
    elapsed0 = elapsed
    last_ckpt = last_snap = time.time()
    sums, count, t_int = {}, 0, time.time()

    def checkpoint(snapshot=False):
        el = elapsed0 + time.time() - t_start
        save_checkpoint(latest, model, opt, step, rng, args, data_info, el)
        if snapshot:
            save_checkpoint(os.path.join(args.out, f"step_{step:07d}.pt"), model, opt, step, rng,
                            args, data_info, el)
        log_file.flush()
        print(f"checkpoint step {step} -> {latest}{' (+snapshot)' if snapshot else ''}", flush=True)

    while step < args.steps and not stop["flag"]:
        lr = learning_rate(args, step)
        for g in opt.param_groups:
            g["lr"] = lr
        batch = sampler.sample(rng, args.batch, args.crop, device)
        loss, terms = train_step(model, batch, rng, args, weights, device)
        opt.zero_grad()
        if not torch.isfinite(loss):
            print(f"step {step}: non-finite loss, batch skipped", flush=True)
            step += 1
            continue
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
        opt.step()
        step += 1

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
            print(f"step {step} loss {row['loss']} l1 {row['l1']} msssim {row['msssim']} "
                  f"pyr {row['pyramid']} eqv {row['equiv_value']} eqj {row['equiv_jacobian']} "
                  f"gn {row['grad_norm']} lr {lr:.3g} {sps:.3f} s/step", flush=True)
            sums, count, t_int = {}, 0, time.time()

        now = time.time()
        if now - last_snap >= args.snapshot_minutes * 60:
            checkpoint(snapshot=True)
            last_snap = last_ckpt = now
        elif now - last_ckpt >= args.ckpt_minutes * 60:
            checkpoint()
            last_ckpt = now

    checkpoint()
    log_file.close()
    print("done" if step >= args.steps else "stopped", flush=True)


if __name__ == "__main__":
    main()
