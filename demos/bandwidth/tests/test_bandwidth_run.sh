#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# End-to-end test of facet-bandwidth: a short run (2 s of video, two rates
# and a floor run per codec at full, half and quarter resolution, two Facet
# keypoint points and two latent-tier rate targets at r = 2, at 256x256 and
# 128x128 to keep it quick) must give well-formed
# CSVs whose rates rise with the targets, whose peaks are at least the mean
# and whose metrics are in range, the best conventional curve, BD-rates at
# equal mean and at equal peak rate against it and each curve, plots, a
# side-by-side video and still, and a report.html that headless Chromium
# renders to a picture that is not blank
# and in which every picture and video loads with the network off. Then
# the bad inputs: a file that is not video, a clip shorter than a keyframe
# interval, a codec missing from the FFmpeg build, a clip shorter than a
# second with odd sides, bad option values.
#
#   test_bandwidth_run.sh FACET_BANDWIDTH MODEL WORK_DIR
set -eu
program=$1
model=$2
work=$3
fail() { echo "FAIL: $*"; exit 1; }
for tool in ffmpeg ffprobe awk od; do
    command -v $tool >/dev/null || fail "needs $tool"
done
rm -rf "$work"
mkdir -p "$work"

# The packaged default clip (scripts/setup installs it), else a synthetic one.
clip=/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
crop="--crop 188:188:130:84"
if [ ! -r "$clip" ]; then
    echo "note: $clip missing (package forensics-samples-files); using ffmpeg's testsrc2"
    clip=$work/testsrc2.mp4
    crop=
    ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=320x240:rate=30 -t 3 -pix_fmt yuv420p \
        "$clip"
fi

out=$work/report
# shellcheck disable=SC2086 # $crop is two words or none
status=0
"$program" --out "$out" --model "$model" --seconds 2 --sizes 256,128 --rates 20,150 \
    --facet 1:40,2:60 --latent 10,20 --latent-scales 2 --pictures 256:20 $crop "$clip" \
    >"$work/stdout.txt" 2>"$work/stderr.txt" ||
    status=$?
[ $status -eq 0 ] || { cat "$work/stderr.txt"; fail "short run exited with $status"; }
grep -q "^report: $out/report.html\$" "$work/stdout.txt" || fail "no report line on stdout"
grep -q '\[31/31\] AV1 @32 + Lanczos 128x128 150 kbit/s: .* kbit/s (peak ' "$work/stderr.txt" ||
    fail "no progress line for the last run"

for f in results.csv frames.csv bd-rate.csv summary.md report.html mosaic-256-20.webm \
         still-256-20.png plots.gp rd-256-best-ssim.dat rd-256-best-psnr.dat rd-256-AV1-at64.dat \
         rd-128-x264-at32.dat rd-256-Facet-keypoints.dat rd-256-Facet-latent-at128.dat \
         rd-128-Facet-latent-at64.dat \
         rd-256-ssim.png rd-256-ssim.svg rd-256-psnr.png rd-256-psnr.svg \
         rd-128-ssim.png rd-128-ssim.svg rd-128-psnr.png rd-128-psnr.svg; do
    [ -s "$out/$f" ] || fail "$f missing or empty"
done

# results.csv: 2 sizes x (2 Facet keypoint points + 2 latent targets + 3 codecs x 3
# resolutions x (floor + 2 rates)) = 62 runs; the rate asked (target or crf) and
# got, the peak next to the mean.
header="codec,series,encoder,size,coded_size,setting,target_kbps,crf,keyframe_interval_s,keyframe_quality,frames,seconds,bytes,kbps,peak_kbps,psnr,psnr_y,ssim,ms_ssim,ssim_8x8,encode_ms_per_frame,decode_ms_per_frame"
[ "$(head -n 1 "$out/results.csv")" = "$header" ] || fail "results.csv header"
awk -F , '
function bad(what) { printf "FAIL: results.csv line %d: %s\n", NR, what; failed = 1 }
NR == 1 { next }
{
    rows++
    if (NF != 22) bad(NF " fields")
    if ($1 !~ /^(Facet|x264|VP8|AV1)$/) bad("codec " $1)
    if ($4 != 256 && $4 != 128) bad("size " $4)
    if ($11 != 50) bad($11 " frames, expected 50")
    if ($12 != 2) bad("seconds " $12)
    if ($13 <= 0) bad("no bytes")
    if ($14 + 0 < 0.5 || $14 + 0 > 1000) bad("kbit/s " $14)
    if (($13 * 8 / $12 / 1000 - $14) ^ 2 > 0.001) bad("kbit/s does not match bytes")
    # Two whole seconds: the busiest one carries at least the mean.
    if ($15 == "" || $15 + 0.01 < $14 + 0) bad("peak " $15 " below the mean " $14)
    if ($16 < 15 || $16 > 60) bad("PSNR " $16)
    if ($18 < 0.3 || $18 > 1) bad("SSIM " $18)
    if ($19 < 0.3 || $19 > 1) bad("MS-SSIM " $19)
    if ($20 < 0.3 || $20 > 1) bad("SSIM 8x8 " $20)
    if ($21 <= 0 || $22 <= 0) bad("timings")
    if ($1 == "Facet" && $2 == "Facet keypoints") {
        facet++
        if ($5 != $4 || $7 != "" || $8 != "" || $9 == "" || $10 == "")
            bad("Facet settings")
    } else if ($1 == "Facet") {
        latent++
        if ($2 != "Facet latent @" $4 / 2 || $5 != $4 / 2 || ($7 != 10 && $7 != 20) || $8 != "" ||
            $9 != "" || $10 != "" || $6 !~ /^target .* kbit\/s; r = 2$/)
            bad("Facet latent settings")
        latent_rate[$4 " " $7] = $14
    } else {
        scale = $4 / $5
        if (scale != 1 && scale != 2 && scale != 4) bad("coded size " $5 " of " $4)
        want = scale == 1 ? $1 : $1 " @" $5 " + Lanczos"
        if ($2 != want) bad("series " $2 ", expected " want)
        if ($9 != "" || $10 != "") bad("keyframe settings on " $1)
        if ($8 != "") {
            if ($7 != "") bad("a floor run with a target")
            floors[$1 " " $4 " " $5]++
            next
        }
        if ($7 != 20 && $7 != 150) bad("target " $7)
        key = $1 " " $4 " " $5
        rate[key " " $7] = $14
        psnr[key " " $7] = $16
    }
}
END {
    if (rows != 62) { printf "FAIL: %d runs, expected 62\n", rows; exit 1 }
    if (facet != 4) { printf "FAIL: %d Facet keypoint runs, expected 4\n", facet; exit 1 }
    if (latent != 4) { printf "FAIL: %d Facet latent runs, expected 4\n", latent; exit 1 }
    for (s = 128; s <= 256; s += 128)
        if (latent_rate[s " 20"] <= latent_rate[s " 10"]) {
            printf "FAIL: Facet latent at %d: %s kbit/s at 20 is not above %s at 10\n", s, latent_rate[s " 20"], latent_rate[s " 10"]
            exit 1
        }
    split("x264 VP8 AV1", codecs, " ")
    for (c = 1; c <= 3; c++)
        for (s = 128; s <= 256; s += 128)
            for (d = 1; d <= 4; d *= 2) {
                key = codecs[c] " " s " " s / d
                if (floors[key] != 1) { printf "FAIL: %s has %d floor runs\n", key, floors[key]; exit 1 }
                if (!((key " 20") in rate) || !((key " 150") in rate)) {
                    printf "FAIL: %s lacks a rate\n", key; exit 1
                }
                if (rate[key " 150"] <= rate[key " 20"]) {
                    printf "FAIL: %s: %s kbit/s at 150 is not above %s at 20\n", key, rate[key " 150"], rate[key " 20"]
                    exit 1
                }
                if (psnr[key " 150"] <= psnr[key " 20"]) {
                    printf "FAIL: %s: PSNR does not rise with the rate\n", key; exit 1
                }
            }
    if (failed) exit 1
}' "$out/results.csv" || fail "results.csv"

# frames.csv: one line per frame of every run, bytes summing to each run's.
[ "$(wc -l <"$out/frames.csv")" -eq $((62 * 50 + 1)) ] || fail "frames.csv line count"
awk -F , 'NR > 1 { if (NF != 11 || $5 < 0 || $5 > 49 || $7 < 10 || $9 > 1) bad = 1 }
          END { exit bad }' "$out/frames.csv" || fail "frames.csv fields"

# The best conventional curve: rising in rate and quality, and every point
# of it is a conventional run of results.csv at that size.
awk 'NR == FNR { if (FNR > 1) { split($0, f, ","); if (f[1] != "Facet" && f[4] == 256) run[sprintf("%.3f %.4f", f[14], f[18])] = 1 }; next }
     /^#/ { next }
     { n++; if (n > 1 && ($1 <= rate || $2 <= q)) bad = 1; rate = $1; q = $2
       if (!(sprintf("%.3f %.4f", $1, $2) in run)) { print "FAIL: envelope point " $0 " is no run"; bad = 1 } }
     END { exit bad || n < 2 }' "$out/results.csv" "$out/rd-256-best-ssim.dat" ||
    fail "rd-256-best-ssim.dat is not the lower envelope of the conventional runs"

# bd-rate.csv: each Facet curve (keypoints, latent) against the best
# conventional curve and each of the 9 conventional curves, on SSIM and PSNR,
# at equal mean and at equal peak rate, per size.
head -n 1 "$out/bd-rate.csv" | grep -q '^size,test,anchor,metric,rate,bd_rate_percent,' ||
    fail "bd-rate.csv header"
[ "$(wc -l <"$out/bd-rate.csv")" -eq $((2 * 2 * 10 * 2 * 2 + 1)) ] || fail "bd-rate.csv rows"
grep -q '^256,Facet latent @128,AV1 @128 + Lanczos,SSIM,mean,' "$out/bd-rate.csv" || fail "no BD-rate of the latent tier against its own base stream upscaled"
grep -q '^256,Facet keypoints,best conventional,SSIM,mean,' "$out/bd-rate.csv" || fail "no BD-rate against the best conventional curve"
grep -q '^128,Facet keypoints,AV1 @32 + Lanczos,PSNR,mean,' "$out/bd-rate.csv" || fail "no BD-rate against a downscaled anchor"
grep -q '^256,Facet latent @128,best conventional,SSIM,peak,' "$out/bd-rate.csv" || fail "no BD-rate at equal peak rate"
# Each pair has a mean and a peak row, and a curve's lowest peak is at
# least its lowest mean (every run's peak is at least its mean).
awk -F , 'NR > 1 { key = $1 "," $2 "," $3 "," $4; seen[key "," $5] = 1
                   lowest[key "," $5] = $9 + 0; anchor[key "," $5] = $11 + 0 }
          END { for (k in seen) { split(k, f, ","); base = f[1] "," f[2] "," f[3] "," f[4]
                    if (!((base ",mean") in seen) || !((base ",peak") in seen)) bad = 1
                    else if (lowest[base ",peak"] < lowest[base ",mean"] - 0.001 ||
                             anchor[base ",peak"] < anchor[base ",mean"] - 0.001) {
                        print "FAIL: " base " lowest peak under lowest mean"; bad = 1 } }
                exit bad }' "$out/bd-rate.csv" || fail "bd-rate.csv mean and peak rows"

# summary.md: a table per size with a row per curve, the best conventional
# curve, and the BD-rates.
# (@64 is half of 128 and a quarter of 256; @32 only a quarter of 128.)
for curve in "Facet keypoints" x264 VP8 AV1 "AV1 @64 + Lanczos" "\*\*best conventional\*\* (SSIM)"; do
    [ "$(grep -c "^| $curve | " "$out/summary.md")" -eq 2 ] || fail "summary.md lacks $curve rows"
done
[ "$(grep -c "^| x264 @32 + Lanczos | " "$out/summary.md")" -eq 1 ] || fail "summary.md lacks x264 @32 + Lanczos"
for curve in "Facet latent @128" "Facet latent @64"; do
    [ "$(grep -c "^| $curve | " "$out/summary.md")" -eq 1 ] || fail "summary.md lacks $curve"
done
grep -q '^| 128x128 | Facet keypoints | \*\*best conventional\*\* | ' "$out/summary.md" || fail "summary.md lacks the BD-rates"
grep -q '^| size | Facet | against | SSIM | PSNR | SSIM at equal peak | PSNR at equal peak |$' "$out/summary.md" ||
    fail "summary.md lacks the BD-rates at equal peak rate"

# The pictures: 5 tiles of 256 (source | Facet | x264 | VP8 | AV1) over a
# two-line label band, 50 frames, and a still of the same size.
probe=$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=codec_name,width,height,nb_read_frames -of csv=p=0 "$out/mosaic-256-20.webm")
[ "$probe" = "vp8,1280,302,50" ] || fail "mosaic-256-20.webm is '$probe', expected vp8,1280,302,50"
probe=$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$out/still-256-20.png")
[ "$probe" = "png,1280,302" ] || fail "still-256-20.png is '$probe', expected png,1280,302"
grep -Eq 'about 20 kbit/s: source \| Facet (keypoints @256|latent @128), .* \| x264.*kbit/s.* \| VP8.* \| AV1' "$out/report.html" ||
    fail "report.html does not say what each tile shows"

# Everything report.html points at exists; it loads nothing from the network.
for ref in $(sed -n 's/.*\(src\|href\)="\([^"]*\)".*/\2/p' "$out/report.html"); do
    [ -s "$out/$ref" ] || fail "report.html links to missing $ref"
done
if grep -Eq '(src|href)="(https?:)?//' "$out/report.html"; then fail "report.html loads from the network"; fi
grep -q '<img class="plot" src="rd-128-psnr.svg"' "$out/report.html" || fail "report.html lacks a plot"
grep -q '<table class="envelope">' "$out/report.html" || fail "report.html lacks the best conventional curve"
grep -q '<th>peak kbit/s (1 s)</th>' "$out/report.html" || fail "report.html lacks the peaks"
grep -q '<th>BD-rate of Facet at equal mean rate</th><th>at equal peak rate</th>' "$out/report.html" ||
    fail "report.html lacks the BD-rates at equal peak rate"

# Headless Chromium renders the report; the screenshot must not be blank:
# its luma must vary and a good share of it must be darker than the page.
# Its own self-check (a script in the page) must find every picture shown
# and the video playable, with the network off.
if command -v chromium >/dev/null; then
    timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1200,2000 --screenshot="$work/report.png" "file://$out/report.html" \
        >"$work/chromium.log" 2>&1 || { cat "$work/chromium.log"; fail "chromium failed"; }
    [ -s "$work/report.png" ] || fail "chromium wrote no screenshot"
    ffmpeg -nostdin -v error -i "$work/report.png" -vf scale=300:500,format=gray -f rawvideo \
        "$work/report.gray"
    od -An -v -tu1 "$work/report.gray" | awk '
        { for (i = 1; i <= NF; i++) { n++; sum += $i; sq += $i * $i; if ($i < 200) dark++ } }
        END {
            mean = sum / n; sd = sqrt(sq / n - mean * mean)
            printf "screenshot: %d pixels, mean %.1f, sd %.1f, %.1f%% dark\n", n, mean, sd, 100 * dark / n
            exit !(n == 150000 && sd > 20 && dark / n > 0.05)
        }' || fail "the screenshot of report.html looks blank"
    timeout 120 chromium --headless --no-sandbox --disable-gpu --proxy-server=127.0.0.1:9 \
        --virtual-time-budget=15000 --dump-dom "file://$out/report.html" \
        >"$work/report-dom.html" 2>"$work/chromium-dom.log" ||
        { cat "$work/chromium-dom.log"; fail "chromium --dump-dom failed"; }
    check=$(grep -o '<p id="self-check"[^>]*>' "$work/report-dom.html" || true)
    echo "report self-check: $check"
    # 4 plots and 1 still; 1 video.
    echo "$check" | grep -q 'data-images="5/5"' || fail "report.html: not every picture is shown ($check)"
    echo "$check" | grep -q 'data-videos="1/1"' || fail "report.html: the video does not play ($check)"
else
    fail "chromium missing (scripts/setup installs it)"
fi

# Bad input 1: a file that is not video: a message, exit status 1, and a
# report of the notes alone.
echo "not a video" >"$work/not-video.mp4"
if "$program" --out "$work/bad" --model "$model" "$work/not-video.mp4" >"$work/bad-out.txt" 2>"$work/bad.txt"; then
    fail "a text file was accepted as video"
fi
grep -q "cannot use .*not-video.mp4 as the source video" "$work/bad.txt" || { cat "$work/bad.txt"; fail "no clear message for a non-video file"; }
grep -q "cannot use .*not-video.mp4 as the source video" "$work/bad/report.html" || fail "no report of a non-video file"

# Bad input 2: a clip shorter than one keyframe interval: that Facet point is
# skipped with a note, everything else measured.
# Bad input 3: AV1 missing from this FFmpeg build (hidden): noted, the rest
# measured.
FACET_BANDWIDTH_HIDE_ENCODERS=libaom-av1,libsvtav1 "$program" --out "$work/short" \
    --model "$model" --seconds 1 --sizes 128 --rates 20,150 --scales 1 --no-floor \
    --facet 2:60,0.5:40 --no-latent --no-pictures \
    $crop "$clip" >/dev/null 2>"$work/short.txt" || { cat "$work/short.txt"; fail "short clip run"; }
grep -q "shorter than one keyframe interval" "$work/short.txt" || fail "no note on the short clip"
grep -q "has no AV1 encoder" "$work/short.txt" || fail "no note on the missing AV1 encoder"
grep -q "shorter than one keyframe interval" "$work/short/report.html" || fail "short-clip note not in the report"
grep -q "AV1 not measured" "$work/short/report.html" || fail "missing-encoder note not in the report"
awk -F , 'NR > 1 { n[$1]++ } END { exit !(n["Facet"] == 1 && n["x264"] == 2 && n["VP8"] == 2 && !("AV1" in n)) }' \
    "$work/short/results.csv" || fail "short run: expected 1 Facet, 2 x264, 2 VP8 and no AV1 rows"

# Bad input 4: a clip shorter than a second, with odd sides (101x77) and a
# size whose quarter is odd (100: coded at 24, not 25): measured, with a
# note that there is no peak and an empty peak column; the pictures too.
ffmpeg -nostdin -v error -f lavfi -i testsrc2=size=101x77:rate=30 -t 0.5 -pix_fmt yuv420p \
    "$work/odd.mkv"
"$program" --out "$work/odd" --model "$model" --sizes 100 --rates 20 --facet 0.2:40 --no-latent \
    --pictures 100:20 "$work/odd.mkv" >/dev/null 2>"$work/odd.txt" || { cat "$work/odd.txt"; fail "odd clip run"; }
grep -q "shorter than one second: no peak" "$work/odd/report.html" || fail "no note on the clip shorter than a second"
awk -F , 'NR > 1 { rows++; if ($11 != 13 || $15 != "" || ($1 != "Facet" && $5 != 100 && $5 != 50 && $5 != 24)) bad = 1 }
          END { exit bad || rows != 1 + 3 * 3 * 2 }' "$work/odd/results.csv" ||
    { cat "$work/odd/results.csv"; fail "odd clip: expected 19 runs of 13 frames without a peak, coded at 100, 50 and 24"; }
[ -s "$work/odd/still-100-20.png" ] || fail "odd clip: no still"

# A bad option value is refused with a message, not a crash. Each bad value
# comes after options for a tiny run, so one wrongly accepted fails the test
# quickly instead of starting the full default sweep.
tiny="--out $work/option-run --seconds 0.04 --sizes 64 --codecs x264 --rates 5 --scales 1 --no-pictures"
for args in "--crop 10:10" "--sizes 255" "--sizes 2048" "--sizes 256,256" "--rates 0" "--rates 5,,10" \
    "--facet 2" "--facet 2:101" "--codecs h265" "--seconds -1" "--seconds 61" "--threads x" \
    "--scales 0" "--scales 9" "--scales 2,2" "--pictures 64" "--pictures 128:10" "--pictures 64:0" \
    "--jobs 0" "--jobs 17" "--latent 0" "--latent 5,,10" "--latent-scales 3" "--latent-scales 2,2" \
    "--latent-scales 1"; do
    # shellcheck disable=SC2086
    if "$program" $tiny $args "$clip" >/dev/null 2>"$work/option.txt"; then fail "accepted $args"; fi
    grep -q "invalid" "$work/option.txt" || fail "no message for $args"
done
echo "PASS"
