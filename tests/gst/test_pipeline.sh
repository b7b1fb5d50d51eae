#!/usr/bin/env bash
# Runs the README's gst-launch pipeline (with a test source instead of a
# camera) and checks that every frame comes out decoded.
#   test_pipeline.sh PLUGIN_DIR MODEL
set -euo pipefail
plugin_dir=$1
model=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GST_PLUGIN_PATH=$plugin_dir
export GST_REGISTRY_1_0=$work/registry.bin

gst-launch-1.0 -q videotestsrc num-buffers=30 pattern=ball \
    ! video/x-raw,width=256,height=256,framerate=25/1 \
    ! facetenc model="$model" keyframe-interval=0.5 \
    ! facetdec model="$model" ! videoconvert ! y4menc ! filesink location="$work/out.y4m"

# A y4m file is one header line, then per frame "FRAME\n" and the planes.
header=$(head -n 1 "$work/out.y4m" | wc -c)
size=$(stat -c %s "$work/out.y4m")
frame_size=$((6 + 256 * 256 * 3 / 2))
frames=$(((size - header) / frame_size))
echo "decoded frames: $frames"
[ $(((size - header) % frame_size)) -eq 0 ] || { echo "FAIL: truncated y4m output" >&2; exit 1; }
[ "$frames" -eq 30 ] || { echo "FAIL: expected 30 decoded frames" >&2; exit 1; }
echo "pipeline: all checks passed"
