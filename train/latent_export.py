# SPDX-License-Identifier: BSD-2-Clause
"""Export a latent-tier checkpoint to a model file, with golden vectors for the C runtime.

    /usr/bin/python3 train/latent_export.py --checkpoint train/runs/latent1/latest.pt \\
        --out models/facet-latent.safetensors --golden tests/golden/latent.safetensors

1. Weights (plain convs, no BatchNorm) are stored as F16 with a __metadata__
   block: architecture facet-latent-v1, the network config, the scales it
   was trained for, provenance and the model_id (export.compute_model_id:
   the first 8 hex digits of sha256 over the config string, then the
   names and stored bytes; models exported before 2026-12-08, 1aabb3fd
   among them, hashed the tensors alone).
2. The file is read back and the network with the fp16-rounded weights (fp32
   arithmetic, what the C runtime does) is compared with the checkpoint's.
3. Golden vectors (--golden): at S = 64 for r = 2 and r = 4, on the
   deterministic synthetic images of export.py (no frames of the clips): the
   reference, the low-resolution frame (the reference scene moved, downscaled
   by r, rounded to 8 bits), the reference encoder's outputs and the render's
   flow, confidence, gate and image, plus the no-reference image. F32, PyTorch
   layouts (batch dimension kept).
"""

import argparse
import datetime
import hashlib
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import export as E  # noqa: E402
import latent_model as M  # noqa: E402

FORMAT_VERSION = "1"
GOLDEN_SIZE = 64
FP16_SANITY_BOUND = 0.05


def load(path):
    ck = torch.load(path, map_location="cpu")
    if ck.get("architecture") != M.ARCHITECTURE:
        raise E.ExportError(f"{path}: architecture {ck.get('architecture')!r}, expected {M.ARCHITECTURE}")
    model = M.build_model(ck["model_config"])
    model.load_state_dict(ck["model"])
    model.eval()
    with open(path, "rb") as f:
        sha = hashlib.sha256(f.read()).hexdigest()
    return ck, model, sha


def config_string(ck):
    """The network config as the metadata stores it (and the model_id covers)."""
    return json.dumps(ck["model_config"], sort_keys=True)


def metadata(ck, ck_sha, ck_path, model_id):
    args = ck.get("args", {})
    return {
        "architecture": M.ARCHITECTURE,
        "format_version": FORMAT_VERSION,
        "model_id": model_id,
        "config": config_string(ck),
        "scales": args.get("scales", "2,4"),
        "weights_dtype": "F16",
        "grid_sample_mode": "bilinear",
        "grid_sample_padding": "border",
        "align_corners": "false",
        "training_data_digest": str(ck.get("data", {}).get("digest", "")),
        "training_steps": str(ck["step"]),
        "training_seconds": str(int(round(ck.get("elapsed_s", 0.0)))),
        "checkpoint_sha256": ck_sha,
        "checkpoint": ck_path,
        "torch_version": torch.__version__,
        "export_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exporter": "train/latent_export.py",
    }


def rounded_model(ck, arrays):
    model = M.build_model(ck["model_config"])
    model.load_state_dict({k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})
    model.eval()
    return model


@torch.no_grad()
def golden(model, r):
    S = GOLDEN_SIZE
    ref, cur, _ = E.golden_images(S)
    low = torch.round(F.avg_pool2d(cur, r) * 255) / 255
    enc = model.encoder(ref, r)
    out = model.render(low, enc, r)
    noref = model.render(low, M.no_reference(model, 1, S, low), r)
    t = {"reference": ref, "low": low, "target": cur, "enc.small": enc["small"], "enc.detail": enc["detail"],
         "enc.feat": enc["feat"], "flow": out["flow"], "confidence": out["confidence"], "gate": out["gate"],
         "image": out["image"], "image_noref": noref["image"]}
    return {f"r{r}.{k}": v.numpy().astype(np.float32) for k, v in t.items()}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--golden")
    args = ap.parse_args()
    ck, model, ck_sha = load(args.checkpoint)
    halves = {k: v.detach().numpy().astype(np.float16) for k, v in model.state_dict().items()}
    model_id = E.compute_model_id(halves, config_string(ck))
    if int(model_id, 16) == 0:
        raise E.ExportError("model_id is 0, which the bitstream reserves; change anything and export again")
    E.write_safetensors(args.out, halves, metadata(ck, ck_sha, args.checkpoint, model_id))
    back, meta = E.read_safetensors(args.out)
    for k, v in halves.items():
        if not np.array_equal(back[k].view(np.uint16), v.view(np.uint16)):
            raise E.ExportError(f"{args.out}: tensor {k} does not read back bit for bit")
    if E.compute_model_id(back, meta["config"]) != model_id:
        raise E.ExportError("model_id does not reproduce from the file")
    nbytes = sum(v.nbytes for v in halves.values())
    rounded = rounded_model(ck, back)
    for r in (2, 4):
        g32, g16 = golden(model, r), golden(rounded, r)
        d = max(float(np.abs(g32[f"r{r}.image"] - g16[f"r{r}.image"]).max()), 0.0)
        print(f"r {r}: fp16 weights change the image by at most {d:.2e}")
        if d > FP16_SANITY_BOUND:
            raise E.ExportError(f"fp16 rounding moves the output by {d}")
    print(f"wrote {args.out}: {len(halves)} tensors, {nbytes} bytes of F16 weights, model_id {model_id}, "
          f"step {ck['step']}")
    if args.golden:
        vectors = {}
        for r in (2, 4):
            vectors.update(golden(rounded, r))
        E.write_safetensors(args.golden, vectors, {"model_id": model_id, "size": str(GOLDEN_SIZE),
                                                  "architecture": M.ARCHITECTURE,
                                                  "exporter": "train/latent_export.py"})
        print(f"wrote {args.golden}: {len(vectors)} tensors")


if __name__ == "__main__":
    main()
