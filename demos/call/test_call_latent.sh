#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A latent-tier call on loopback: `--mode latent --bitrate 12`, encrypted,
# with 5 % of the caller's video packets dropped. Checks that the call runs
# in that tier and adapts: both sides exit 0; the caller sent keyframes
# and no reference (facetenc's references=auto sends none with the shipped
# model: docs/latent-tier.md, "When references pay"); the listener's jitter buffer asked for retransmissions;
# the listener showed frames; the rate controller's target stayed within
# its bounds (3-12 kbit/s); FEC went out once the listener reported the
# loss (the default --fec follows it), and reached the listener; the
# jitter buffer's requests as reported are of the order of the NACKs that
# carried them (not the thousands its timers count once the stream ends).
# Whether FEC rebuilt a packet depends on which packets retransmission
# brought in time, so that is printed, not asked for.
#
#   test_call_latent.sh FACET_CALL LATENT_MODEL SECONDS
set -euo pipefail
facet_call=$1
model=$2
seconds=$3

# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
# shellcheck source=SCRIPTDIR/listener_port.sh
. "$(dirname "${BASH_SOURCE[0]}")/listener_port.sh"
script_workdir
script_fail_logs=('*.log')
script_fail_tail=30

summary() {
    local value
    value=$(grep '^summary:' "$1" | grep -o " $2=[^ ]*" | cut -d= -f2)
    [ -n "$value" ] || fail "no $2 in the summary of $1"
    echo "$value"
}

fps=10
clip=$work/clip.mkv
sample=/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
if [ -f "$sample" ]; then
    ffmpeg -nostdin -v error -stream_loop 2 -i "$sample" -frames:v $((seconds * fps)) -an \
        -vf "crop=ih:ih,scale=256:256,fps=$fps" -c:v mjpeg -q:v 5 "$clip"
else
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=256x256:rate=$fps" \
        -frames:v $((seconds * fps)) -c:v mjpeg -q:v 5 "$clip"
fi
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$work/call.key")
common=(--mode latent --model "$model" --key "file:$work/call.key" --audio tone --threads 1
        --timeout 60 --latency 200)

"$facet_call" --listen 0 "${common[@]}" --fps 2 --video test --headless "$work/received.mkv" \
    --duration 120 > "$work/listener.log" 2>&1 &
script_track_pid $!
listener=$!
listener_port "$work/listener.log" "$listener" || fail "no port from the listener"

"$facet_call" --connect "127.0.0.1:$port" "${common[@]}" --bitrate 12 --fps $fps \
    --video "file:$clip" --video-loss 5 --headless "$work/returned.mkv" > "$work/caller.log" 2>&1 &
script_track_pid $!
caller=$!
caller_status=0
wait "$caller" || caller_status=$?
listener_status=0
wait "$listener" || listener_status=$?
script_untrack_pids
grep -v '^\[' "$work/caller.log" "$work/listener.log"
[ "$caller_status" -eq 0 ] || fail "the caller exited with $caller_status"
[ "$listener_status" -eq 0 ] || fail "the listener exited with $listener_status"

sent=$(summary "$work/caller.log" video_frames_sent)
references=$(summary "$work/caller.log" references_encoded)
keyframes=$(summary "$work/caller.log" keyframes_encoded)
target=$(summary "$work/caller.log" target_kbps)
loss=$(summary "$work/caller.log" peer_loss)
decoded=$(summary "$work/listener.log" video_frames_decoded)
asked=$(summary "$work/listener.log" rtx_asked)
nacks=$(summary "$work/listener.log" nack_sent)
resent=$(summary "$work/caller.log" rtx_packets_sent)
fec_sent=$(summary "$work/caller.log" fec_packets_sent)
fec_got=$(summary "$work/listener.log" fec_packets_received)
fec_recovered=$(summary "$work/listener.log" fec_recovered)
echo "latent call: sent $sent frames ($keyframes keyframes, $references references), listener" \
     "showed $decoded; target at the end $target kbit/s, peer-reported loss $loss"
echo "retransmissions: the listener's jitter buffer asked $asked times, $nacks NACK packets" \
     "went out, the caller resent $resent packets"
echo "FEC: the caller sent $fec_sent packets, the listener got $fec_got and rebuilt" \
     "$fec_recovered lost packets with them"
[ "$asked" -ge 1 ] || fail "the listener's jitter buffer asked for no retransmission"
[ "$asked" -le $((20 * (nacks + 1))) ] ||
    fail "the listener reports $asked retransmission requests for $nacks NACK packets"
[ "$fec_sent" -ge 1 ] || fail "no FEC went out though the listener reported loss"
[ "$fec_got" -ge 1 ] || fail "no FEC packet reached the listener"
[ "$references" -eq 0 ] || fail "$references references sent: references=auto sends none with the shipped model"
[ "$keyframes" -ge 1 ] || fail "no keyframe sent"
[ $((decoded * 4)) -ge "$sent" ] || fail "the listener showed only $decoded of $sent frames"
awk -v t="$target" 'BEGIN { exit !(t >= 3 && t <= 12) }' ||
    fail "the target $target kbit/s left the controller's bounds 3-12"
echo "latent call: all checks passed"
