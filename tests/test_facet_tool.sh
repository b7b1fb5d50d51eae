#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The `facet` command end to end: encode a generated clip, decode it, check
# the quality eval prints, and check that damaged input files give a clear
# error and a non-zero exit instead of a crash.
#   test_facet_tool.sh FACET_BINARY
set -euo pipefail
facet=$1
# shellcheck source=SCRIPTDIR/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/script_common.sh"
script_workdir

ffmpeg -v error -f lavfi -i testsrc=size=96x64:rate=25 -frames:v 10 -pix_fmt yuv420p "$work/in.y4m"

"$facet" encode --codec av1 --quality 70 "$work/in.y4m" "$work/out.fct" | tee "$work/encode.txt"
grep -q "encoded 10 frames (10 keyframes) of 96x64 at 25/1 fps" "$work/encode.txt" || fail "encode summary"
grep -q "kbit/s" "$work/encode.txt" || fail "encode prints no rate"

"$facet" decode "$work/out.fct" "$work/out.y4m" | tee "$work/decode.txt"
grep -q "decoded 10 of 10 packets" "$work/decode.txt" || fail "decode summary"
head -c 9 "$work/out.y4m" | grep -q "YUV4MPEG2" || fail "decode wrote no y4m"

"$facet" eval "$work/in.y4m" "$work/out.y4m" | tee "$work/eval.txt"
psnr=$(sed -n 's/.* PSNR \([0-9.]*\) dB.*/\1/p' "$work/eval.txt")
[ -n "$psnr" ] || fail "eval printed no PSNR"
awk -v p="$psnr" 'BEGIN { exit !(p > 30) }' || fail "PSNR $psnr dB is too low"

# --size crops and scales; the JPEG fallback codec works from the tool too.
"$facet" encode --codec jpeg --size 32x32 --frames 3 "$work/in.y4m" "$work/small.fct" |
    grep -q "encoded 3 frames (3 keyframes) of 32x32" || fail "--size/--frames"

# Damaged inputs: each must exit non-zero with a message, never crash.
expect_error() {
    local what=$1
    shift
    set +e
    "$@" >"$work/err.txt" 2>&1
    local rc=$?
    set -e
    [ $rc -ne 0 ] || fail "$what: exit status 0"
    [ $rc -lt 128 ] || fail "$what: killed by signal $((rc - 128))"
    [ -s "$work/err.txt" ] || fail "$what: no message"
    echo "ok: $what -> $(head -n 1 "$work/err.txt")"
}
head -c 200 "$work/out.fct" > "$work/truncated.fct"
expect_error "truncated .fct" "$facet" decode "$work/truncated.fct" "$work/x.y4m"
printf 'not a facet file at all' > "$work/garbage.fct"
expect_error "not a .fct file" "$facet" decode "$work/garbage.fct" "$work/x.y4m"
cp "$work/out.fct" "$work/flipped.fct"
printf '\x07' | dd of="$work/flipped.fct" bs=1 seek=24 conv=notrunc status=none
expect_error "corrupt packet" "$facet" decode "$work/flipped.fct" "$work/x.y4m"
expect_error "missing input" "$facet" encode /nonexistent.mp4 "$work/x.fct"
expect_error "bad quality" "$facet" encode --quality 500 "$work/in.y4m" "$work/x.fct"
expect_error "unknown command" "$facet" transmogrify
expect_error "unknown back end" "$facet" decode --backend bogus "$work/out.fct" "$work/x.y4m"
# No Vulkan device has this name: forcing Vulkan onto it fails and says so,
# rather than falling back to the CPU in silence.
expect_error "forced Vulkan, no such device" "$facet" decode --backend vulkan \
    --device no-such-facet-test-device "$work/out.fct" "$work/x.y4m"
grep -qi "vulkan" "$work/err.txt" || fail "forced Vulkan: the message does not say Vulkan"

# The CPU back end decodes what the default does, bit for bit.
"$facet" decode --backend cpu "$work/out.fct" "$work/cpu.y4m" >/dev/null
cmp -s "$work/out.y4m" "$work/cpu.y4m" || fail "--backend cpu differs from the default"

# A keypoint stream decoded without its model: the keyframes decode, the
# error is said once with what to do, and a count of the repeats follows.
# The model is relabelled so that no folder the decoder searches by default
# holds it; in a folder of FACET_MODEL_PATH it is found by its model id.
models=$(cd "$(dirname "$0")/../models" && pwd)
mkdir "$work/models"
perl -0777 -pe 's/"model_id":"[0-9a-fA-F]{8}"/"model_id":"0badf00d"/' \
    "$models/facet-256.safetensors" > "$work/models/relabelled.safetensors"
ffmpeg -v error -f lavfi -i testsrc=size=96x64:rate=25 -frames:v 30 -pix_fmt yuv420p "$work/kp.y4m"
"$facet" encode --model "$work/models/relabelled.safetensors" --keyframe-interval 0.6 \
    "$work/kp.y4m" "$work/kp.fct" | grep -q "encoded 30 frames (2 keyframes)" || fail "keypoint encode"
set +e
env -u FACET_MODEL -u FACET_MODEL_PATH "$facet" decode --backend cpu "$work/kp.fct" \
    "$work/kp.y4m" >"$work/kp.txt" 2>"$work/kp-err.txt"
rc=$?
set -e
cat "$work/kp-err.txt"
[ $rc -eq 1 ] || fail "decode without the model: exit status $rc"
grep -q "decoded 2 of 30 packets" "$work/kp.txt" || fail "decode without the model: summary"
[ "$(grep -c "no model is loaded" "$work/kp-err.txt")" -eq 1 ] || fail "the missing model is not said once"
[ "$(grep -c "facet decode: packet" "$work/kp-err.txt")" -eq 1 ] || fail "the error is not printed once"
grep -q -- "--model PATH (a model with id 0badf00d)" "$work/kp-err.txt" || fail "no hint"
grep -q "27 more packets failed the same way" "$work/kp-err.txt" || fail "no count of the repeats"
[ "$(wc -l < "$work/kp-err.txt")" -le 6 ] || fail "decode without the model: too many lines"
env -u FACET_MODEL FACET_MODEL_PATH="$work/models" "$facet" decode --backend cpu "$work/kp.fct" \
    "$work/kp.y4m" 2>"$work/kp-err.txt" | grep -q "decoded 30 of 30 packets" ||
    fail "FACET_MODEL_PATH: the model is not found by its id"
grep -q "loaded $work/models/relabelled.safetensors" "$work/kp-err.txt" || fail "the found model is not named"
echo "facet tool: all checks passed"
