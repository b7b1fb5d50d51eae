#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Our PSNR and SSIM (tools/metrics.c) against FFmpeg's psnr and ssim filters
# on a distorted test picture of an odd size (126x94: the chroma planes and
# the SSIM block grid do not divide evenly).
#
#   test_metrics_ffmpeg.sh METRICS_DUMP WORK_DIR
#
# PSNR (per plane and overall) must match to FFmpeg's printed precision
# (2 decimals); the 8x8 SSIM, FFmpeg's own variant, to 1e-5. Our headline
# SSIM uses the 11x11 Gaussian window of Wang et al. (as MS-SSIM does), a
# different average over the same picture: it must agree with FFmpeg's
# within 0.02 and move with it.
set -eu
dump=$1
work=$2
command -v ffmpeg >/dev/null || { echo "needs ffmpeg"; exit 1; }
rm -rf "$work"
mkdir -p "$work"
cd "$work"

ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=126x94:rate=25 -frames:v 12 \
    -pix_fmt yuv420p reference.y4m
ffmpeg -nostdin -v error -i reference.y4m -c:v mpeg4 -q:v 12 -f avi distorted.avi
ffmpeg -nostdin -v error -i distorted.avi -pix_fmt yuv420p distorted.y4m
ffmpeg -nostdin -v error -i distorted.y4m -i reference.y4m \
    -lavfi "[0:v][1:v]psnr=stats_file=psnr.log;[0:v][1:v]ssim=stats_file=ssim.log" -f null -
"$dump" reference.y4m distorted.y4m >ours.txt

frames=$(wc -l <ours.txt)
[ "$frames" -eq 12 ] || { echo "FAIL: $frames frames compared, expected 12"; exit 1; }

# One line per frame: ffmpeg's psnr_y psnr_u psnr_v psnr_avg ssim_Y, then ours.
sed -n 's/.*psnr_avg:\([0-9.]*\) psnr_y:\([0-9.]*\) psnr_u:\([0-9.]*\) psnr_v:\([0-9.]*\).*/\2 \3 \4 \1/p' \
    psnr.log >ffmpeg_psnr.txt
sed -n 's/.* Y:\([0-9.]*\) .*/\1/p' ssim.log >ffmpeg_ssim.txt
paste -d ' ' ffmpeg_psnr.txt ffmpeg_ssim.txt ours.txt | awk '
function abs(x) { return x < 0 ? -x : x }
function check(what, theirs, ours, tolerance) {
    if (abs(theirs - ours) > tolerance) {
        printf "FAIL frame %d %s: ffmpeg %s, ours %.6f\n", NR, what, theirs, ours
        failed = 1
    }
}
NF != 12 { printf "FAIL: line %d has %d fields\n", NR, NF; failed = 1; next }
{
    check("PSNR Y", $1, $6, 0.0051)
    check("PSNR U", $2, $7, 0.0051)
    check("PSNR V", $3, $8, 0.0051)
    check("PSNR", $4, $9, 0.0051)
    check("SSIM 8x8", $5, $10, 0.00001)
    check("SSIM (Gaussian) against 8x8", $5, $11, 0.02)
    if ($6 < 15 || $6 > 50) { printf "FAIL frame %d: PSNR Y %.2f is no test of a distortion\n", NR, $6; failed = 1 }
    n++
}
END {
    if (n != 12) { printf "FAIL: %d comparable lines\n", n; exit 1 }
    if (failed) exit 1
    print "PASS: PSNR and 8x8 SSIM match ffmpeg on", n, "frames"
}'
