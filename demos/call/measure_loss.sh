#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# How a facet-call fares on a lossy network, measured with real components:
# two facet-calls on loopback, each sending through GStreamer's netsim
# (gst-plugins-bad) after SRTP, so that the loss hits video, audio, their
# retransmissions and RTCP alike, in both directions. For each condition the
# caller sends SECONDS of a talking-head clip in the latent tier and the
# listener records; the script prints one markdown table row per condition:
#
#   shown       frames the listener showed / pictures the caller sent (a
#               latent reference's fragments, sent with the frames, are not
#               counted again: before, they were, which put ~7 "frames" that
#               no receiver can show into a 20 s call)
#   freeze      the longest wait between two frames shown
#   recovery    from a keyframe/reference request (PLI/FIR) of the listener
#               to its next frame shown: mean and worst, and how many
#   rtx         retransmitted bytes / first-time media bytes (RTX overhead)
#   fec         FEC bytes / first-time media bytes (FEC overhead), and the
#               packets the listener's rtpulpfecdec rebuilt
#   sent        the caller's video rate (retransmissions and FEC included),
#               and the rate controller's lowest target in the call (kbit/s)
#   load        the 1-minute load average when the call ended
#
#   measure_loss.sh FACET_CALL LATENT_MODEL [SECONDS]   (default 30)
#
# CONDITIONS replaces the default list with calls of `run NAME LATENCY
# FACET-CALL-OPTIONS...`, e.g. the same loss without FEC and with it:
#
#   CONDITIONS='run "10 % loss, no FEC" 200 --net-loss 10 --fec 0;
#               run "10 % loss" 200 --net-loss 10' measure_loss.sh ...
#
# Needs GST_PLUGIN_PATH to find the Facet elements. Not run by ctest: it
# takes SECONDS and more per condition, and its numbers depend on the CPU.
set -euo pipefail
facet_call=$1
model=$2
seconds=${3:-30}
fps=10

# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
# shellcheck source=SCRIPTDIR/listener_port.sh
. "$(dirname "${BASH_SOURCE[0]}")/listener_port.sh"
script_workdir

summary() { grep '^summary:' "$1" | grep -o " $2=[^ ]*" | cut -d= -f2; }

clip=$work/clip.mkv
sample=/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
if [ -f "$sample" ]; then
    ffmpeg -nostdin -v error -stream_loop 9 -i "$sample" -frames:v $((seconds * fps)) -an \
        -vf "crop=ih:ih,scale=256:256,fps=$fps" -c:v mjpeg -q:v 5 "$clip"
else
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=256x256:rate=$fps" \
        -frames:v $((seconds * fps)) -c:v mjpeg -q:v 5 "$clip"
fi
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$work/call.key")

# run NAME LATENCY NET-OPTIONS...: one call; prints its table row.
run() {
    local name=$1 latency=$2
    shift 2
    local common=(--mode latent --model "$model" --key "file:$work/call.key" --audio tone
                  --threads 1 --timeout 60 --latency "$latency" "$@")
    "$facet_call" --listen 0 "${common[@]}" --fps 2 --video test \
        --headless "$work/received.mkv" --duration $((seconds * 4 + 60)) > "$work/listener.log" 2>&1 &
    script_track_pid $!
    local listener=$! port=
    listener_port "$work/listener.log" "$listener" || { cat "$work/listener.log" >&2; exit 1; }
    "$facet_call" --connect "127.0.0.1:$port" "${common[@]}" --bitrate 12 --fps $fps \
        --video "file:$clip" --headless "$work/returned.mkv" > "$work/caller.log" 2>&1 || true
    wait "$listener" || true
    script_untrack_pids
    local sent shown freeze rec mean worst rtx fec recovered video target loss errors load
    sent=$(summary "$work/caller.log" video_pictures_sent)
    shown=$(summary "$work/listener.log" video_frames_decoded)
    freeze=$(summary "$work/listener.log" longest_freeze_ms)
    rec=$(summary "$work/listener.log" recoveries)
    mean=$(summary "$work/listener.log" recovery_ms_mean)
    worst=$(summary "$work/listener.log" recovery_ms_max)
    rtx=$(summary "$work/caller.log" rtx_bytes_sent)
    fec=$(summary "$work/caller.log" fec_bytes_sent)
    recovered=$(summary "$work/listener.log" fec_recovered)
    load=$(cut -d' ' -f1 /proc/loadavg)
    video=$(summary "$work/caller.log" video_bytes_sent)
    target=$(summary "$work/caller.log" lowest_target_kbps)
    errors=$(cat "$work/caller.log" "$work/listener.log" | grep -ci 'error' || true)
    awk -v n="$name" -v sent="$sent" -v shown="$shown" -v f="$freeze" -v r="$rec" -v m="$mean" \
        -v w="$worst" -v rtx="$rtx" -v fec="$fec" -v rec="$recovered" -v v="$video" \
        -v t="$target" -v e="$errors" -v l="$load" -v s="$seconds" 'BEGIN {
        media = v - rtx - fec
        printf "| %s | %d/%d = %.1f %% | %d ms | %d: %d ms mean, %d ms worst | %.1f %% | %.1f %%, %d recovered | %.1f kbit/s, %d kbit/s | %d | %s |\n",
            n, shown, sent, (sent ? 100 * shown / sent : 0), f, r, m, w,
            (media > 0 ? 100 * rtx / media : 0), (media > 0 ? 100 * fec / media : 0), rec,
            v * 8 / 1000 / s, t, e, l }'
}

echo "latent tier, --bitrate 12, $fps frames/s, 256x256, $seconds s per condition; netsim on both sides"
echo
echo "| network (each way) | frames shown | longest freeze | recoveries (PLI/FIR to next frame) | RTX overhead | FEC overhead, packets rebuilt | video sent, lowest target | errors in logs | load |"
echo "|---|---|---|---|---|---|---|---|---|"
if [ -n "${CONDITIONS:-}" ]; then
    eval "$CONDITIONS"
    exit 0
fi
run "no loss" 200
run "5 % loss" 200 --net-loss 5
run "10 % loss" 200 --net-loss 10
run "20 % loss" 200 --net-loss 20
run "5 % loss, 100-120 ms delay (reordering)" 400 --net-loss 5 --net-delay 100 --net-jitter 20
