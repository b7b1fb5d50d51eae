# SPDX-License-Identifier: BSD-2-Clause
"""Export a training checkpoint to the shipped model file, and write the
golden vectors the C runtime is tested against.

    /usr/bin/python3 train/export.py --checkpoint train/runs/v1/latest.pt \\
        --out models/facet-256.safetensors --golden tests/golden/network.safetensors
    # golden vectors again from a shipped model file (no checkpoint needed):
    /usr/bin/python3 train/export.py --model models/facet-256.safetensors \\
        --golden tests/golden/network.safetensors

Export (docs/model.md is the contract this implements):

1. The checkpoint is loaded (its model config is inside) in eval mode, and
   every BatchNorm is folded into the conv before it (in float64):
       s = gamma / sqrt(running_var + eps)
       weight' = weight * s (per output channel),  bias' = beta - mean * s
   A ConvBNReLU at module path P becomes `P.weight` [O,I,k,k] and `P.bias`
   [O]; a plain nn.Conv2d at path P keeps `P.weight` and `P.bias`. The folded
   network must reproduce the checkpoint's outputs within 1e-5 (max abs) at
   S = 64 and S = 256, or the export fails.
2. Weights are stored as F16 (round to nearest even) with a __metadata__
   block (architecture, sizes, the constants of the coordinate arithmetic,
   quantisation, provenance, model_id), written by hand in the safetensors
   layout: u64 LE header size, JSON header padded with spaces to a multiple
   of 8, then the tensors' raw little-endian bytes, C order, sorted by name,
   back to back.
3. The file is read back, checked bit for bit, and the network with the
   fp16-rounded weights (fp32 arithmetic, what the C runtime does) is
   compared with the fp32 folded one: the deviations are printed.

Golden vectors (--golden): the fp16-rounded network of the model file, in
fp32 arithmetic, at S = 64 on deterministic smooth synthetic images (no
frames of the clips): the detector, reference encoder, dense motion, decoder
and the whole renderer with intermediates, all F32 in PyTorch layouts (batch
dimension kept). Names are listed in docs/model.md. The golden file's
metadata carries the model_id of the weights it was made with.
"""

import argparse
import collections
import datetime
import hashlib
import io
import json
import math
import os
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402
import quant as Q  # noqa: E402

FORMAT_VERSION = "1"
FOLD_TOLERANCE = 1e-5
GOLDEN_SIZE = 64
GOLDEN_SEED = 20261124
# Outputs of the fp16-rounded network may drift this far from fp32 before the
# export is called broken (a sanity bound; the measured values are printed).
FP16_SANITY_BOUND = 0.05

_DTYPES = {"F16": np.dtype("<f2"), "F32": np.dtype("<f4")}


class ExportError(Exception):
    pass


# ----------------------------------------------------------------------------
# safetensors, by hand

def write_safetensors(path, arrays, metadata):
    """arrays: name -> numpy array (float16 or float32). Sorted by name,
    contiguous, no holes; header padded with spaces to a multiple of 8."""
    for k, v in metadata.items():
        if not isinstance(k, str) or not isinstance(v, str):
            raise ExportError(f"metadata {k!r} must map a string to a string")
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name in sorted(arrays, key=lambda s: s.encode()):
        a = arrays[name]
        if a.dtype == np.float16:
            dtype = "F16"
        elif a.dtype == np.float32:
            dtype = "F32"
        else:
            raise ExportError(f"{name}: unsupported dtype {a.dtype}")
        data = np.ascontiguousarray(a, dtype=_DTYPES[dtype]).tobytes(order="C")
        header[name] = {"dtype": dtype, "shape": [int(d) for d in a.shape],
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    text += b" " * (-len(text) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)
    os.replace(tmp, path)


def read_safetensors(path):
    """Returns (name -> numpy array in its stored dtype, metadata). Checks the
    layout rules the C loader enforces (tensors tile the data section)."""
    with open(path, "rb") as f:
        raw = f.read()
    if len(raw) < 8:
        raise ExportError(f"{path}: too short")
    (n,) = struct.unpack("<Q", raw[:8])
    if 8 + n > len(raw):
        raise ExportError(f"{path}: header runs past the end")
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {})
    arrays, spans = {}, []
    for name, e in header.items():
        dt = _DTYPES[e["dtype"]]
        begin, end = e["data_offsets"]
        count = int(np.prod(e["shape"])) if e["shape"] else 1
        if end - begin != count * dt.itemsize or end > len(data):
            raise ExportError(f"{path}: tensor {name}: bad data_offsets")
        arrays[name] = np.frombuffer(data[begin:end], dtype=dt).reshape(e["shape"])
        spans.append((begin, end))
    pos = 0
    for begin, end in sorted(spans):
        if begin != pos:
            raise ExportError(f"{path}: data section has a hole or an overlap at byte {pos}")
        pos = end
    if pos != len(data):
        raise ExportError(f"{path}: {len(data) - pos} bytes after the last tensor")
    return arrays, metadata


def compute_model_id(arrays, config=None):
    """First 8 hex digits of sha256 over, for each tensor in byte-wise name
    order: the name in UTF-8, one NUL byte, the tensor's bytes as stored.
    With `config` (the metadata's config string), over "config", NUL, the
    string in UTF-8 and NUL first: a model whose config changes what it
    computes without changing a tensor's shape (the latent network's
    `highpass`) gets another id."""
    h = hashlib.sha256()
    if config is not None:
        h.update(b"config\0" + config.encode("utf-8") + b"\0")
    for name in sorted(arrays, key=lambda s: s.encode()):
        a = arrays[name]
        h.update(name.encode("utf-8") + b"\0")
        h.update(np.ascontiguousarray(a, dtype=a.dtype.newbyteorder("<")).tobytes())
    return h.hexdigest()[:8]


# ----------------------------------------------------------------------------
# BatchNorm folding and the folded network

def fold_tensors(net):
    """name -> float32 tensor of the folded network (docs/model.md naming).
    Fails if any parameter or buffer of the network is left unaccounted for."""
    out = collections.OrderedDict()
    used = set()
    modules = dict(net.named_modules())
    for path, m in net.named_modules():
        if isinstance(m, M.ConvBNReLU):
            conv, bn = m.conv, m.bn
            if not isinstance(bn, nn.BatchNorm2d) or not bn.track_running_stats or bn.training:
                raise ExportError(f"{path}: BatchNorm is not in eval mode with running statistics")
            if conv.groups != 1 or conv.dilation != (1, 1):
                raise ExportError(f"{path}: grouped or dilated conv is not in the C op set")
            w = conv.weight.detach().double()
            b = conv.bias.detach().double() if conv.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            gamma = bn.weight.detach().double() if bn.affine else torch.ones_like(b)
            beta = bn.bias.detach().double() if bn.affine else torch.zeros_like(b)
            scale = gamma / torch.sqrt(bn.running_var.detach().double() + bn.eps)
            out[path + ".weight"] = (w * scale[:, None, None, None]).float()
            out[path + ".bias"] = ((b - bn.running_mean.detach().double()) * scale + beta).float()
            for sub in ("conv.weight", "conv.bias", "bn.weight", "bn.bias", "bn.running_mean",
                        "bn.running_var", "bn.num_batches_tracked"):
                used.add(f"{path}.{sub}")
        elif isinstance(m, nn.Conv2d):
            parent = modules[path.rsplit(".", 1)[0]] if "." in path else None
            if isinstance(parent, M.ConvBNReLU):
                continue
            if m.groups != 1 or m.dilation != (1, 1):
                raise ExportError(f"{path}: grouped or dilated conv is not in the C op set")
            out[path + ".weight"] = m.weight.detach().float().clone()
            out[path + ".bias"] = (m.bias.detach().float().clone() if m.bias is not None
                                   else torch.zeros(m.out_channels))
            used.update({path + ".weight", path + ".bias"})
        elif isinstance(m, nn.BatchNorm2d):
            parent = modules[path.rsplit(".", 1)[0]] if "." in path else None
            if not isinstance(parent, M.ConvBNReLU):
                raise ExportError(f"{path}: a BatchNorm that does not follow a conv")
    left = set(net.state_dict()) - used
    if left:
        raise ExportError(f"state_dict entries the exporter does not know how to fold: {sorted(left)}")
    return out


def folded_network(config, tensors):
    """A FacetV1 whose ConvBNReLUs are conv-with-bias + identity, with its
    weights taken by name from `tensors` (float tensors). Every tensor must be
    used, with exactly the expected shape: this is the C loader's view."""
    net = M.build_model(config)
    expected = {}
    for path, m in net.named_modules():
        if isinstance(m, M.ConvBNReLU):
            c = m.conv
            m.conv = nn.Conv2d(c.in_channels, c.out_channels, c.kernel_size, stride=c.stride,
                               padding=c.padding, bias=True)
            m.bn = nn.Identity()
            expected[path] = m.conv
    for path, m in net.named_modules():
        if isinstance(m, nn.Conv2d) and not path.endswith(".conv"):
            expected[path] = m
    missing = []
    with torch.no_grad():
        for path, conv in expected.items():
            for part in ("weight", "bias"):
                name = f"{path}.{part}"
                if name not in tensors:
                    missing.append(name)
                    continue
                t = torch.as_tensor(tensors[name]).float()
                p = getattr(conv, part)
                if tuple(t.shape) != tuple(p.shape):
                    raise ExportError(f"tensor {name} has shape {list(t.shape)}, expected {list(p.shape)}")
                p.copy_(t)
    names = {f"{p}.{s}" for p in expected for s in ("weight", "bias")}
    extra = set(tensors) - names
    if missing or extra:
        raise ExportError(f"tensor set does not match the architecture: missing {missing}, "
                          f"unexpected {sorted(extra)}")
    return net.eval()


# ----------------------------------------------------------------------------
# Deterministic synthetic inputs

def synthetic_image(size, seed, transform=None):
    """Smooth RGB image 1,3,S,S in [0, 1], rounded to 8 bits: a background
    gradient, a low-frequency ripple and a few coloured Gaussian blobs, from a
    fixed seed. `transform` = (angle, scale, tx, ty) moves the scene (the
    same scene seen by a slightly moved camera)."""
    g = torch.Generator().manual_seed(seed)
    xs = (torch.arange(size, dtype=torch.float64) * 2 + 1) / size - 1
    y, x = torch.meshgrid(xs, xs, indexing="ij")
    if transform is not None:
        a, s, tx, ty = transform
        ca, sa = math.cos(a) / s, math.sin(a) / s
        x, y = ca * (x - tx) + sa * (y - ty), -sa * (x - tx) + ca * (y - ty)

    def rnd(*shape):
        return torch.rand(*shape, generator=g, dtype=torch.float64)

    base = rnd(3) * 0.3 + 0.2
    grad = (rnd(3, 2) - 0.5) * 0.3
    img = base[:, None, None] + grad[:, 0, None, None] * x + grad[:, 1, None, None] * y
    freq = rnd(3, 2) * 3 + 1
    phase = rnd(3) * 2 * math.pi
    img = img + 0.08 * torch.sin(freq[:, 0, None, None] * x * math.pi
                                 + freq[:, 1, None, None] * y * math.pi + phase[:, None, None])
    for _ in range(6):
        cx, cy = (rnd(2) - 0.5) * 1.2
        sx, sy = rnd(2) * 0.25 + 0.08
        colour = rnd(3) - 0.4
        blob = torch.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))
        img = img + colour[:, None, None] * blob
    img = torch.round(img.clamp(0, 1) * 255) / 255
    return img[None].float()


def golden_images(size):
    key = synthetic_image(size, GOLDEN_SEED)
    cur = synthetic_image(size, GOLDEN_SEED, transform=(0.06, 1.05, 0.05, -0.03))
    cur2 = synthetic_image(size, GOLDEN_SEED, transform=(-0.08, 0.95, -0.06, 0.04))
    return key, cur, cur2


# ----------------------------------------------------------------------------
# Running the network, with intermediates

@torch.no_grad()
def run_detector(det, image):
    x = F.avg_pool2d(F.avg_pool2d(image, 2), 2)
    feat = det.hourglass(x)
    n, _, h, w = feat.shape
    logits = det.heatmap(feat)
    heat = F.softmax(logits.view(n, det.num_kp, h * w) / M.HEATMAP_TEMPERATURE, dim=2).view(n, det.num_kp, h, w)
    jmaps = det.jacobian(feat)
    ref = det(image)
    grid = M.identity_grid(h, w, feat)
    value = (heat[..., None] * grid[None, None]).sum(dim=(2, 3))
    jac = (heat[:, :, None] * jmaps.view(n, det.num_kp, 4, h, w)).sum(dim=(3, 4)).view(n, det.num_kp, 2, 2)
    _same(value, ref["value"], "detector value")
    _same(jac, ref["jacobian"], "detector jacobian")
    return {"pooled": x, "hourglass": feat, "heatmap_logits": logits, "heatmap": heat,
            "jacobian_maps": jmaps, "value": ref["value"], "jacobian": ref["jacobian"]}


@torch.no_grad()
def run_dense_motion(dm, small, kp_ref, kp_cur):
    n, c, h, w = small.shape
    k1 = dm.num_kp + 1
    heat = M.keypoint_gaussians(kp_cur["value"], h, w) - M.keypoint_gaussians(kp_ref["value"], h, w)
    heat = torch.cat([torch.zeros_like(heat[:, :1]), heat], dim=1)
    motions = dm.sparse_motions(kp_ref, kp_cur, h, w)
    src = small.unsqueeze(1).expand(n, k1, c, h, w).reshape(n * k1, c, h, w)
    warped = M.warp(src, motions.reshape(n * k1, h, w, 2)).view(n, k1, c, h, w)
    inp = torch.cat([heat.unsqueeze(2), warped], dim=2).view(n, k1 * (c + 1), h, w)
    hg = dm.hourglass(inp)
    logits = dm.heads(torch.cat([hg, inp], dim=1))
    ref = dm(small, kp_ref, kp_cur)
    masks = F.softmax(logits[:, :k1], dim=1)
    _same(masks, ref["masks"], "dense motion masks")
    _same((masks.unsqueeze(-1) * motions).sum(dim=1), ref["flow"], "dense motion flow")
    _same(torch.sigmoid(logits[:, k1:]), ref["occlusion"], "dense motion occlusion")
    return {"heatmaps": heat, "sparse_motions": motions, "warped": warped, "input": inp,
            "hourglass": hg, "logits": logits, "masks": ref["masks"], "flow": ref["flow"],
            "occlusion": ref["occlusion"]}


@torch.no_grad()
def run_decoder(dec, feats, flow, occlusion):
    warped_f2 = M.warp(feats["f2"], flow) * occlusion
    res = dec.res(warped_f2)
    flow1, occ1 = M.upsample_grid2(flow), M.upsample2(occlusion)
    x1 = dec.up1(M.upsample2(res)) + M.warp(feats["f1"], flow1) * occ1
    flow0, occ0 = M.upsample_grid2(flow1), M.upsample2(occ1)
    x0 = dec.up0(M.upsample2(x1)) + M.warp(feats["f0"], flow0) * occ0
    logits = dec.out(x0)
    image = dec(feats, flow, occlusion)
    _same(torch.sigmoid(logits), image, "decoder image")
    return {"warped_f2": warped_f2, "res": res, "flow1": flow1, "x1": x1, "flow0": flow0,
            "x0": x0, "logits": logits, "image": image}


def _same(a, b, what):
    d = (a - b).abs().max().item()
    if not d <= 1e-6:
        raise ExportError(f"golden intermediates disagree with model.py for {what}: {d:g}")


@torch.no_grad()
def network_outputs(net, key, cur, kp_fixed=None):
    """The outputs compared between two versions of the weights. The renderer
    runs on `kp_fixed` (quantised keypoints) when given, so that a flipped
    quantisation index does not hide the renderer's own deviation."""
    kp_k, kp_c = net.kp_detector(key), net.kp_detector(cur)
    feats = net.encoder(key)
    kq = kp_fixed or (Q.quantise_keypoints(kp_k), Q.quantise_keypoints(kp_c))
    r = net.render(feats, kq[0], kq[1])
    return collections.OrderedDict([
        ("kp value", torch.cat([kp_k["value"], kp_c["value"]])),
        ("kp jacobian", torch.cat([kp_k["jacobian"], kp_c["jacobian"]])),
        ("f0", feats["f0"]), ("f1", feats["f1"]), ("f2", feats["f2"]),
        ("masks", r["masks"]), ("flow", r["flow"]), ("occlusion", r["occlusion"]),
        ("image", r["image"]),
    ]), kq


def max_diffs(a, b):
    return collections.OrderedDict((k, (a[k] - b[k]).abs().max().item()) for k in a)


def fmt_diffs(d):
    return ", ".join(f"{k} {v:.2e}" for k, v in d.items())


# ----------------------------------------------------------------------------
# Golden vectors

@torch.no_grad()
def golden_tensors(net, size):
    key, cur, cur2 = golden_images(size)
    t = collections.OrderedDict()
    t["image.keyframe"], t["image.current"], t["image.current2"] = key, cur, cur2
    kps = {}
    for name, img in (("keyframe", key), ("current", cur), ("current2", cur2)):
        d = run_detector(net.kp_detector, img)
        if name == "current2":
            d = {k: d[k] for k in ("value", "jacobian")}
        for k, v in d.items():
            t[f"detector.{name}.{k}"] = v
        q = Q.quantise_keypoints({"value": d["value"], "jacobian": d["jacobian"]})
        t[f"keypoints.{name}.value"], t[f"keypoints.{name}.jacobian"] = q["value"], q["jacobian"]
        kps[name] = q
    feats = net.encoder(key)
    for k in ("f0", "f1", "f2", "small"):
        t[f"encoder.{k}"] = feats[k]
    dm = run_dense_motion(net.dense_motion, feats["small"], kps["keyframe"], kps["current"])
    for k, v in dm.items():
        t[f"dense_motion.{k}"] = v
    dec = run_decoder(net.decoder, feats, dm["flow"], dm["occlusion"])
    for k, v in dec.items():
        t[f"decoder.{k}"] = v
    r = net.render(feats, kps["keyframe"], kps["current2"])
    t["render.flow"], t["render.occlusion"], t["render.image"] = r["flow"], r["occlusion"], r["image"]
    return t


def quantisation_margin(t):
    """Smallest distance, in steps, of a golden raw keypoint coordinate to a
    rounding boundary of the quantiser (how far a C detector may drift before
    an index flips)."""
    m = 1.0
    for name in ("keyframe", "current", "current2"):
        for part, lo, step in (("value", Q.POSITION_MIN, Q.POSITION_STEP),
                               ("jacobian", Q.JACOBIAN_MIN, Q.JACOBIAN_STEP)):
            u = (t[f"detector.{name}.{part}"].double() - lo) / step + 0.5
            m = min(m, (u - torch.floor(u)).min().item(), (torch.ceil(u) - u).min().item())
    return m


def write_golden(path, net, config, model_meta, model_path):
    t = golden_tensors(net, GOLDEN_SIZE)
    margin = quantisation_margin(t)
    arrays = {k: v.detach().float().contiguous().numpy() for k, v in t.items()}
    meta = {
        "generator": "train/export.py",
        "model_file": model_path,
        "model_id": model_meta.get("model_id", ""),
        "architecture": M.ARCHITECTURE,
        "config": json.dumps(config, sort_keys=True),
        "size": str(GOLDEN_SIZE),
        "seed": str(GOLDEN_SEED),
        "weights": "F16 values of the model file, fp32 arithmetic",
        "layout": "PyTorch layouts, batch dimension kept (N=1): images N,C,H,W; "
                  "keypoints N,K,2 and N,K,2,2; grids N,H,W,2 (x, y)",
        "quantisation_margin_steps": f"{margin:.4f}",
        "torch_version": torch.__version__,
    }
    write_safetensors(path, arrays, meta)
    back, _ = read_safetensors(path)
    for k, a in arrays.items():
        if not np.array_equal(back[k], a):
            raise ExportError(f"{path}: tensor {k} did not read back identically")
    return t, margin


# ----------------------------------------------------------------------------

def load_checkpoint(path):
    with open(path, "rb") as f:
        raw = f.read()
    ck = torch.load(io.BytesIO(raw), map_location="cpu", weights_only=False)
    return ck, hashlib.sha256(raw).hexdigest()


def check_constants(ck):
    if ck.get("architecture", M.ARCHITECTURE) != M.ARCHITECTURE:
        raise ExportError(f"checkpoint architecture {ck.get('architecture')!r}, model.py has {M.ARCHITECTURE!r}")
    q = ck.get("quant")
    ours = {"position_step": Q.POSITION_STEP, "jacobian_step": Q.JACOBIAN_STEP,
            "position_range": [Q.POSITION_MIN, Q.POSITION_MAX],
            "jacobian_range": [Q.JACOBIAN_MIN, Q.JACOBIAN_MAX]}
    if q is not None and q != ours:
        raise ExportError(f"checkpoint was trained with quantisation {q}, quant.py now says {ours}")


def model_metadata(config, size, ck, ck_sha, model_id, ck_path):
    def num(v):
        return repr(float(v))
    return {
        "architecture": M.ARCHITECTURE,
        "format_version": FORMAT_VERSION,
        "model_id": model_id,
        "model_size": str(size),
        "num_keypoints": str(config["num_kp"]),
        "config": json.dumps(config, sort_keys=True),
        "kp_channels": ",".join(str(c) for c in config["kp_chs"]),
        "dm_channels": ",".join(str(c) for c in config["dm_chs"]),
        "enc_channels": ",".join(str(c) for c in config["enc_chs"]),
        "feat_channels": ",".join(str(c) for c in config["feat_chs"]),
        "num_res_blocks": str(config["num_res"]),
        "weights_dtype": "F16",
        "batchnorm": "folded",
        "grid_sample_mode": "bilinear",
        "grid_sample_padding": M.GRID_SAMPLE_PADDING,
        "align_corners": "false",
        "heatmap_temperature": num(M.HEATMAP_TEMPERATURE),
        "gaussian_variance": num(M.GAUSSIAN_VARIANCE),
        "jacobian_det_eps": num(M.JACOBIAN_DET_EPS),
        "position_step": num(Q.POSITION_STEP),
        "position_min": num(Q.POSITION_MIN),
        "position_max": num(Q.POSITION_MAX),
        "jacobian_step": num(Q.JACOBIAN_STEP),
        "jacobian_min": num(Q.JACOBIAN_MIN),
        "jacobian_max": num(Q.JACOBIAN_MAX),
        "training_data_digest": str(ck.get("data", {}).get("digest", "")),
        "training_steps": str(ck["step"]),
        "training_seconds": str(int(round(ck.get("elapsed_s", 0.0)))),
        "checkpoint": ck_path,
        "checkpoint_sha256": ck_sha,
        "torch_version": torch.__version__,
        "export_date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exporter": "train/export.py",
    }


def export(args):
    ck, ck_sha = load_checkpoint(args.checkpoint)
    check_constants(ck)
    config = ck["model_config"]
    net = M.build_model(config)
    net.load_state_dict(ck["model"])
    net.eval()
    print(f"checkpoint {args.checkpoint}: step {ck['step']}, {ck.get('elapsed_s', 0) / 3600:.2f} h, "
          f"sha256 {ck_sha[:16]}..., config {json.dumps(config)}")

    # 1. Fold and verify.
    folded = fold_tensors(net)
    net32 = folded_network(config, folded)
    for s in (GOLDEN_SIZE, args.size):
        key, cur, _ = golden_images(s)
        a, kq = network_outputs(net, key, cur)
        b, _ = network_outputs(net32, key, cur, kq)
        d = max_diffs(a, b)
        worst = max(d.values())
        print(f"BN folding at S={s}: max abs diff {worst:.2e} ({fmt_diffs(d)})")
        if not worst < FOLD_TOLERANCE:
            raise ExportError(f"BN folding changes the outputs by {worst:g} at S={s} "
                              f"(tolerance {FOLD_TOLERANCE:g})")

    # 2. F16 and the file.
    halves = collections.OrderedDict()
    worst_rel = 0.0
    for name, t in folded.items():
        if not torch.isfinite(t).all():
            raise ExportError(f"{name}: non-finite values after folding")
        if t.abs().max().item() > 60000:
            raise ExportError(f"{name}: values up to {t.abs().max().item():g} overflow F16")
        h = t.numpy().astype(np.float16)
        halves[name] = h
        err = (torch.from_numpy(h.astype(np.float32)) - t).abs().max().item()
        worst_rel = max(worst_rel, err / max(t.abs().max().item(), 1e-30))
    model_id = compute_model_id(halves)
    if int(model_id, 16) == 0:
        raise ExportError("model_id is 0, which the bitstream reserves; change anything and export again")
    meta = model_metadata(config, args.size, ck, ck_sha, model_id, args.checkpoint)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    os.makedirs(out_dir, exist_ok=True)
    write_safetensors(args.out, halves, meta)
    nparams = sum(h.size for h in halves.values())
    print(f"wrote {args.out}: {len(halves)} tensors, {nparams} parameters, "
          f"{os.path.getsize(args.out)} bytes, model_id {model_id}")

    # 3. Read back, compare bit for bit, measure the fp16 deviation.
    back, back_meta = read_safetensors(args.out)
    if back_meta != meta or set(back) != set(halves) or \
            any(back[k].tobytes() != halves[k].tobytes() for k in halves):
        raise ExportError(f"{args.out} did not read back identically")
    if compute_model_id(back) != model_id:
        raise ExportError("model_id does not reproduce from the file")
    net16 = folded_network(config, {k: torch.from_numpy(v.astype(np.float32)) for k, v in back.items()})
    print(f"F16 rounding of the weights: max relative error per tensor {worst_rel:.2e}")
    for s in (GOLDEN_SIZE, args.size):
        key, cur, _ = golden_images(s)
        a, kq = network_outputs(net32, key, cur)
        b, kq16 = network_outputs(net16, key, cur)
        flips = sum(int((x != y).sum()) for p, q in zip(kq, kq16) for x, y in zip(p.values(), q.values()))
        b, _ = network_outputs(net16, key, cur, kq)
        d = max_diffs(a, b)
        print(f"fp16 weights vs fp32 at S={s}: {fmt_diffs(d)}; quantised keypoint entries that differ: "
              f"{flips} of {sum(x.numel() for p in kq for x in p.values())}")
        if d["image"] > FP16_SANITY_BOUND:
            raise ExportError(f"fp16 weights change the image by {d['image']:g}")
    return net16, config, meta


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="training checkpoint (train.py) to export")
    src.add_argument("--model", help="an exported model file: only write --golden from it")
    ap.add_argument("--out", default="models/facet-256.safetensors", help="model file to write")
    ap.add_argument("--golden", help="also write the golden vectors here")
    ap.add_argument("--size", type=int, default=256, help="model size S recorded in the file (multiple of 32)")
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if args.size % 32:
        ap.error("--size must be a multiple of 32")
    torch.set_num_threads(args.threads)
    try:
        if args.checkpoint:
            net16, config, meta = export(args)
            model_path = args.out
        else:
            arrays, meta = read_safetensors(args.model)
            if meta.get("architecture") != M.ARCHITECTURE or meta.get("format_version") != FORMAT_VERSION:
                raise ExportError(f"{args.model}: not a {M.ARCHITECTURE} v{FORMAT_VERSION} model file")
            if compute_model_id(arrays) != meta.get("model_id"):
                raise ExportError(f"{args.model}: model_id does not match the tensors")
            config = json.loads(meta["config"])
            net16 = folded_network(config, {k: torch.from_numpy(v.astype(np.float32)) for k, v in arrays.items()})
            model_path = args.model
        if args.golden:
            t, margin = write_golden(args.golden, net16, config, meta, os.path.relpath(model_path))
            print(f"wrote {args.golden}: {len(t)} tensors at S={GOLDEN_SIZE}, "
                  f"{os.path.getsize(args.golden)} bytes, model_id {meta['model_id']}, "
                  f"quantisation margin {margin:.3f} steps")
    except ExportError as e:
        sys.exit(f"export.py: error: {e}")


if __name__ == "__main__":
    main()
