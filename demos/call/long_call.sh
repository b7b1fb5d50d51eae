#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A long loopback call: MINUTES (default 10) of an encrypted latent-tier
# call at --bitrate 12 with 5 % random loss each way (netsim), both sides
# sending a live test picture. Once a minute it prints both processes'
# resident memory, the caller's round-trip time and rate target, and the
# frames the listener showed in that minute; at the end the growth of the
# memory from minute 2 on (the first minute holds the start-up), and every
# error, warning or critical line of the logs. Exit status 1 when a side
# died, the memory grew by more than 10 % or a log has an error.
#
#   long_call.sh FACET_CALL LATENT_MODEL [MINUTES]
#
# Needs GST_PLUGIN_PATH to find the Facet elements. Takes MINUTES of wall
# time: not run by ctest.
set -euo pipefail
facet_call=$1
model=$2
minutes=${3:-10}

# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
# shellcheck source=SCRIPTDIR/listener_port.sh
. "$(dirname "${BASH_SOURCE[0]}")/listener_port.sh"
script_workdir

(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$work/call.key")
common=(--mode latent --model "$model" --key "file:$work/call.key" --audio tone --threads 1
        --timeout 30 --latency 200 --net-loss 5 --video test)
seconds=$((minutes * 60))

"$facet_call" --listen 0 "${common[@]}" --fps 10 --headless "$work/received.mkv" \
    > "$work/listener.log" 2>&1 &
script_track_pid $!
listener=$!
listener_port "$work/listener.log" "$listener" || exit 1
# The caller outlives the last sample; it is hung up (SIGTERM) after it.
"$facet_call" --connect "127.0.0.1:$port" "${common[@]}" --bitrate 12 --fps 10 \
    --duration $((seconds + 60)) --headless "$work/returned.mkv" > "$work/caller.log" 2>&1 &
script_track_pid $!
caller=$!

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# The number after "(" ... " in all)" in the last live line of a log.
shown() { grep '^\[' "$1" | tail -n 1 | sed -n 's/.*shown [0-9.]* fps (\([0-9]*\) in all).*/\1/p'; }
last_field() { grep '^\[' "$1" | tail -n 1 | sed -n "s/.*$2.*/\\1/p"; }

echo "minute | caller RSS (KiB) | listener RSS (KiB) | caller RTT | caller target (kbit/s) | frames shown by the listener that minute"
echo "---|---|---|---|---|---"
previous=0
first_rss_caller=0
first_rss_listener=0
for minute in $(seq 1 "$minutes"); do
    sleep 60
    kill -0 "$caller" 2>/dev/null && kill -0 "$listener" 2>/dev/null ||
        { echo "a side died in minute $minute" >&2; tail "$work"/*.log >&2; exit 1; }
    rc=$(rss "$caller")
    rl=$(rss "$listener")
    now=$(shown "$work/listener.log")
    now=${now:-0}
    rtt=$(last_field "$work/caller.log" 'rtt \([0-9?]* *m*s*\) |')
    target=$(last_field "$work/caller.log" 'target \([0-9.-]*\) ')
    echo "$minute | $rc | $rl | $rtt | $target | $((now - previous))"
    previous=$now
    if [ "$minute" -eq 2 ]; then first_rss_caller=$rc; first_rss_listener=$rl; fi
    last_rss_caller=$rc
    last_rss_listener=$rl
done
kill -TERM "$caller"
status=0
wait "$caller" || { echo "FAIL: the caller did not hang up cleanly"; status=1; }
wait "$listener" || { echo "FAIL: the listener did not end cleanly"; status=1; }
script_untrack_pids
grow() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (a > 0 ? 100 * (b - a) / a : 0) }'; }
echo "memory from minute 2 to $minutes: caller $(grow "$first_rss_caller" "$last_rss_caller") %," \
     "listener $(grow "$first_rss_listener" "$last_rss_listener") %"
for side in caller listener; do
    a=first_rss_$side
    b=last_rss_$side
    awk -v a="${!a}" -v b="${!b}" 'BEGIN { exit !(a > 0 && b <= a * 1.10) }' ||
        { echo "FAIL: the $side's memory grew by more than 10 %"; status=1; }
done
problems=$(grep -hiE 'error|critical|warning' "$work/caller.log" "$work/listener.log" | grep -v '^summary' || true)
if [ -n "$problems" ]; then
    echo "FAIL: the logs hold errors or warnings:"
    echo "$problems" | sort | uniq -c | head -20
    status=1
else
    echo "no error, warning or critical line in either log"
fi
grep -h '^summary' "$work/caller.log" | tr ' ' '\n' | grep -E 'video_frames_sent|rtx_packets_sent|target_kbps|peer_loss' | tr '\n' ' '
echo
grep -h '^summary' "$work/listener.log" | tr ' ' '\n' | grep -E 'video_frames_decoded|longest_freeze_ms|recoveries|srtp_refused' | tr '\n' ' '
echo
exit $status
