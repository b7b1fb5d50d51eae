# SPDX-License-Identifier: BSD-2-Clause
"""Keypoint quantisation shared by training, evaluation and the bitstream.

The C side (keypoints/, codec/) mirrors these constants exactly; change them
here and there together. A keypoint is a position (x, y) in the normalised
[-1, 1] image range (x to the right, y down, pixel centres at
(2 i + 1) / W - 1 as in grid_sample with align_corners=False) and a 2x2
Jacobian [[a, b], [c, d]] acting on (x, y) column vectors.

Quantisation is uniform with rounding half up, written so that C can repeat it
bit for bit:   index = floor((clamp(v, lo, hi) - lo) / step + 0.5)
               value = lo + index * step
"""

import torch

# Position: 2/512 of the [-1, 1] range, i.e. half a pixel at S = 256.
POSITION_STEP = 2.0 / 512.0
POSITION_MIN = -1.0
POSITION_MAX = 1.0

# Jacobian entries.
JACOBIAN_STEP = 1.0 / 64.0
JACOBIAN_MIN = -4.0
JACOBIAN_MAX = 4.0


def position_levels():
    return int(round((POSITION_MAX - POSITION_MIN) / POSITION_STEP)) + 1


def jacobian_levels():
    return int(round((JACOBIAN_MAX - JACOBIAN_MIN) / JACOBIAN_STEP)) + 1


def _index(v, lo, hi, step):
    return torch.floor((v.clamp(lo, hi) - lo) / step + 0.5)


def quantise_positions(v):
    """Integer indices (as a float tensor) in [0, position_levels() - 1]."""
    return _index(v, POSITION_MIN, POSITION_MAX, POSITION_STEP)


def dequantise_positions(idx):
    return POSITION_MIN + idx * POSITION_STEP


def quantise_jacobians(v):
    """Integer indices (as a float tensor) in [0, jacobian_levels() - 1]."""
    return _index(v, JACOBIAN_MIN, JACOBIAN_MAX, JACOBIAN_STEP)


def dequantise_jacobians(idx):
    return JACOBIAN_MIN + idx * JACOBIAN_STEP


def quantise_keypoints(kp):
    """What the decoder sees after the bitstream: {'value': B,K,2, 'jacobian': B,K,2,2}."""
    return {
        "value": dequantise_positions(quantise_positions(kp["value"])),
        "jacobian": dequantise_jacobians(quantise_jacobians(kp["jacobian"])),
    }


def keypoint_noise_like(kp, uniform):
    """Training-time stand-in for quantisation: clamp, then add uniform noise of
    one step width. `uniform(shape)` returns U(-0.5, 0.5) samples as a tensor on
    the right device (the caller owns the random state)."""
    v = kp["value"].clamp(POSITION_MIN, POSITION_MAX)
    j = kp["jacobian"].clamp(JACOBIAN_MIN, JACOBIAN_MAX)
    return {
        "value": v + uniform(v.shape) * POSITION_STEP,
        "jacobian": j + uniform(j.shape) * JACOBIAN_STEP,
    }
