# SPDX-License-Identifier: BSD-2-Clause
"""Writes tests/golden/ops.safetensors: small inputs and PyTorch's outputs for
every op of the C runtime (render/ops.h), which tests/test_ops.c compares the
C reference kernels against (max abs error <= 1e-4).

    /usr/bin/python3 tests/golden/make_op_vectors.py [OUT]

Run it with Debian's python3-torch (scripts/setup-train installs it). The seed
is fixed, so a rerun on the same PyTorch writes the same file; the file is
committed so that the tests never need Python.

The safetensors file is written by hand (8-byte little-endian header length,
JSON header, raw little-endian data), all tensors F32. Layouts are the C
runtime's: images C,H,W (batch 1 dropped); conv weights O,I,kh,kw and bias O;
sampling grids 2,H,W with plane 0 = x and plane 1 = y (PyTorch's N,H,W,2
transposed). Tensor names:

  conv.k{K}.input / .weight / .bias      input 9x11x13, 6 output channels
  conv.k{K}.s{S}.{act}                   output, act in none relu sigmoid tanh
  upsample2x.input / .output             nearest, scale 2
  avgpool2x2.input / .output             odd size (floor)
  grid_sample.input / .grid / .output    bilinear, border, align_corners=False
  softmax_channels.input / .output       dim=1
  softmax_spatial.input / .output        over H*W of input / temperature
  softmax_spatial.temperature            one float
  activation.input / .relu / .sigmoid / .tanh
  binary.a / .b / .map / .add / .mul / .mul_map
"""

import json
import os
import struct
import sys

import torch
import torch.nn.functional as F

SEED = 20261124


def conv_case(tensors, gen, k):
    in_c, out_c, h, w = 9, 6, 11, 13
    x = torch.rand(1, in_c, h, w, generator=gen) * 2 - 1
    weight = (torch.rand(out_c, in_c, k, k, generator=gen) * 2 - 1) / (in_c * k * k) ** 0.5
    bias = (torch.rand(out_c, generator=gen) * 2 - 1) * 0.5
    prefix = f"conv.k{k}"
    tensors[prefix + ".input"] = x[0]
    tensors[prefix + ".weight"] = weight
    tensors[prefix + ".bias"] = bias
    for stride in (1, 2):
        y = F.conv2d(x, weight, bias, stride=stride, padding=k // 2)
        acts = {"none": y, "relu": F.relu(y), "sigmoid": torch.sigmoid(y), "tanh": torch.tanh(y)}
        for name, out in acts.items():
            tensors[f"{prefix}.s{stride}.{name}"] = out[0]


def grid_sample_case(tensors, gen):
    x = torch.rand(1, 3, 9, 12, generator=gen)
    ho, wo = 7, 10
    grid = (torch.rand(1, ho, wo, 2, generator=gen) * 2 - 1) * 1.6   # some points outside
    # Exact edges, pixel centres and far outside, on the first row.
    specials = [(-1.0, -1.0), (1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (0.0, 0.0),
                (1.0 / 12 - 1, 1.0 / 9 - 1), (-3.0, 0.5), (0.5, 4.0), (-1.05, 1.05), (0.999, -0.999)]
    for i, (gx, gy) in enumerate(specials):
        grid[0, 0, i, 0] = gx
        grid[0, 0, i, 1] = gy
    y = F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)
    tensors["grid_sample.input"] = x[0]
    tensors["grid_sample.grid"] = grid[0].permute(2, 0, 1)
    tensors["grid_sample.output"] = y[0]


def build():
    gen = torch.Generator().manual_seed(SEED)
    tensors = {}
    for k in (1, 3, 7):
        conv_case(tensors, gen, k)

    x = torch.rand(1, 4, 5, 7, generator=gen)
    tensors["upsample2x.input"] = x[0]
    tensors["upsample2x.output"] = F.interpolate(x, scale_factor=2, mode="nearest")[0]

    x = torch.rand(1, 4, 9, 13, generator=gen)
    tensors["avgpool2x2.input"] = x[0]
    tensors["avgpool2x2.output"] = F.avg_pool2d(x, 2)[0]

    grid_sample_case(tensors, gen)

    x = torch.randn(1, 11, 6, 7, generator=gen) * 3
    tensors["softmax_channels.input"] = x[0]
    tensors["softmax_channels.output"] = F.softmax(x, dim=1)[0]

    temperature = 0.1
    x = torch.randn(1, 10, 8, 9, generator=gen)
    y = F.softmax(x.view(1, 10, 72) / temperature, dim=2).view(1, 10, 8, 9)
    tensors["softmax_spatial.input"] = x[0]
    tensors["softmax_spatial.temperature"] = torch.tensor([temperature])
    tensors["softmax_spatial.output"] = y[0]

    x = (torch.rand(1, 20, 50, generator=gen) * 2 - 1) * 12
    tensors["activation.input"] = x
    tensors["activation.relu"] = F.relu(x)
    tensors["activation.sigmoid"] = torch.sigmoid(x)
    tensors["activation.tanh"] = torch.tanh(x)

    a = torch.randn(3, 5, 6, generator=gen)
    b = torch.randn(3, 5, 6, generator=gen)
    m = torch.rand(1, 5, 6, generator=gen)
    tensors["binary.a"] = a
    tensors["binary.b"] = b
    tensors["binary.map"] = m
    tensors["binary.add"] = a + b
    tensors["binary.mul"] = a * b
    tensors["binary.mul_map"] = a * m
    return tensors


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        t = tensors[name].detach().to(torch.float32).contiguous()
        data = struct.pack("<%df" % t.numel(), *t.flatten().tolist())
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)   # data starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "ops.safetensors")
    torch.set_num_threads(1)
    tensors = build()
    write_safetensors(out, tensors, {"generator": "tests/golden/make_op_vectors.py",
                                     "torch": torch.__version__, "seed": str(SEED)})
    print(f"{out}: {len(tensors)} tensors, {os.path.getsize(out)} bytes")


if __name__ == "__main__":
    main()
