#!/usr/bin/env bash
# The `facet` command end to end: encode a generated clip, decode it, check
# the quality eval prints, and check that damaged input files give a clear
# error and a non-zero exit instead of a crash.
#   test_facet_tool.sh FACET_BINARY
set -euo pipefail
facet=$1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

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
echo "facet tool: all checks passed"
