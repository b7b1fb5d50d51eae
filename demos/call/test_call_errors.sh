#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# facet-call on bad input: every bad argument, ports in use, a peer that is
# not there, a peer that vanishes mid-call, and hanging up with a signal.
# Each case must end with a clear message and the documented exit status
# (2 bad command line, 1 error, 3 no peer or peer lost, 0 normal end), and
# nothing may hang.
#
#   test_call_errors.sh FACET_CALL
set -euo pipefail
facet_call=$1

# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
# shellcheck source=SCRIPTDIR/listener_port.sh
. "$(dirname "${BASH_SOURCE[0]}")/listener_port.sh"
script_workdir
script_fail_logs=('*.log')
script_fail_tail=20

# Intra-only keeps these calls light; the codec's modes are tested elsewhere.
key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
other_key=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
# (--mode keypoint: facetenc's auto mode would pick the latent tier when
# its model is found.)
media=(--mode keypoint --model "" --key "$key" --fps 10 --audio tone)
light=("${media[@]}" --video test)
ffmpeg -v error -f lavfi -i "testsrc2=size=160x120:rate=10" -t 2 -c:v mjpeg "$work/short.mkv"
ffmpeg -v error -f lavfi -i "sine=frequency=440" -t 2 -c:a libopus "$work/tone.ogg"

# expect STATUS MESSAGE ARGS...: runs facet-call (bounded in time) and checks
# its exit status and that its output contains MESSAGE.
expect() {
    local status=$1 message=$2 got=0
    shift 2
    timeout 60 "$facet_call" "$@" > "$work/expect.log" 2>&1 || got=$?
    [ "$got" -eq "$status" ] || fail "facet-call $* exited with $got, expected $status"
    grep -qF -- "$message" "$work/expect.log" ||
        fail "facet-call $* did not say '$message': $(cat "$work/expect.log")"
    echo "ok: facet-call $* -> $got, '$message'"
}

# wait_for LOG TEXT: until a running facet-call prints TEXT (at most 60 s).
wait_for() {
    script_poll 60 0.1 grep -qF -- "$2" "$1" || fail "'$2' never appeared in $1"
}

# finish PID STATUS WHAT: waits for a facet-call and checks its exit status.
finish() {
    local got=0
    wait "$1" || got=$?
    [ "$got" -eq "$2" ] || fail "$3 exited with $got, expected $2"
}

echo "== bad command lines"
expect 2 "give --listen PORT or --connect HOST:PORT"
expect 2 "--listen '70000': expected an integer from 0 to 65532" --listen 70000
expect 2 "--listen '-1'" --listen -1
expect 2 "give exactly one --listen or --connect" --listen 5000 --connect 127.0.0.1:5000
expect 2 "expected HOST:PORT" --connect localhost
expect 2 "expected HOST:PORT" --connect :5000
expect 2 "--connect '0'" --connect 127.0.0.1:0
expect 2 "--local-port goes with --connect" --listen 5000 --local-port 6000
expect 2 "'/nonexistent/clip.mp4' is not a readable file" --listen 0 --video file:/nonexistent/clip.mp4
expect 2 "expected camera, camera:DEVICE, file:PATH or test" --listen 0 --video webcam
expect 2 "expected mic, file:PATH or tone" --listen 0 --audio radio
expect 2 "--video-loss '150': expected a number from 0 to 100" --listen 0 --video-loss 150
expect 2 "--video-loss 'nan'" --listen 0 --video-loss nan
expect 2 "--size '10x10': expected WIDTHxHEIGHT" --listen 0 --size 10x10
expect 2 "--size '256x'" --listen 0 --size 256x
expect 2 "--fps '0'" --listen 0 --fps 0
expect 2 "--timeout '0'" --listen 0 --timeout 0
expect 2 "--headless '': expected an output file name" --listen 0 --headless ''
expect 2 "model file '/nonexistent/model.safetensors' not found" --listen 0 --model /nonexistent/model.safetensors
expect 2 "Unknown option --bogus" --listen 0 --bogus
expect 2 "unexpected argument 'extra'" --listen 0 extra
expect 2 "give --key: the media are encrypted" --listen 0
expect 2 "--key: the key is not hexadecimal" --listen 0 --key "zz$key"
expect 2 "--key: the key must be 16 to 64 bytes" --listen 0 --key 00112233
expect 2 "--key: the key must be 16 to 64 bytes" --listen 0 --key "$key$key$key"
expect 2 "--key: '/nonexistent/call.key' is not a readable file" --listen 0 --key file:/nonexistent/call.key
expect 2 "--key 'file:': expected HEX, file:PATH or none" --listen 0 --key file:
expect 2 "--cipher 'rot13': expected aes-128-gcm or aes-128-cm-hmac-sha1-80" --listen 0 --key none --cipher rot13
expect 2 "--mode 'hd': expected keypoint or latent" --listen 0 --key none --mode hd
expect 2 "--bitrate '0': expected an integer from 2 to 10000" --listen 0 --key none --bitrate 0
expect 2 "--bitrate '99999999'" --listen 0 --key none --bitrate 99999999
expect 2 "--bitrate '-5'" --listen 0 --key none --bitrate -5
expect 2 "--fec '101': expected an integer from 0 to 100" --listen 0 --key none --fec 101
expect 2 "--fec '-1'" --listen 0 --key none --fec -1
expect 2 "--fec 'lots'" --listen 0 --key none --fec lots

echo "== media files that cannot be sent"
expect 1 "'$work/tone.ogg' has no video stream" --listen 0 "${media[@]}" --video "file:$work/tone.ogg"
expect 1 "'$work/short.mkv' has no audio stream" --listen 0 "${media[@]}" --video test \
    --audio "file:$work/short.mkv"
expect 1 "decodebin cannot decode plain text files" --listen 0 "${media[@]}" --video "file:$0"
expect 1 "Cannot identify device '/nonexistent/video9'" --listen 0 "${media[@]}" \
    --video camera:/nonexistent/video9

echo "== a listener, its ports in use, a signal"
"$facet_call" --listen 0 "${light[@]}" --headless "$work/a.mkv" > "$work/a.log" 2>&1 &
script_track_pid $!
a=$!
listener_port "$work/a.log" "$a" || fail "no port from listener a"
expect 1 "UDP ports $port-$((port + 3)): one is in use" --listen "$port" "${light[@]}"
expect 1 "UDP ports $((port + 2))-$((port + 5)): one is in use" \
    --connect 127.0.0.1:5000 --local-port $((port + 2)) "${light[@]}"
kill -INT "$a"
finish "$a" 0 "the listener after SIGINT"
grep -qF "ending the call: interrupted" "$work/a.log" || fail "no message after SIGINT"

echo "== nobody answers"
# The listener above has gone: its ports are free again.
expect 3 "no answer from 127.0.0.1:$port within 2 s" --connect "127.0.0.1:$port" --timeout 2 \
    "${light[@]}" --headless "$work/none.mkv"

echo "== the caller vanishes mid-call"
"$facet_call" --listen 0 "${light[@]}" --timeout 2 --headless "$work/b.mkv" > "$work/b.log" 2>&1 &
script_track_pid $!
b=$!
listener_port "$work/b.log" "$b" || fail "no port from listener b"
"$facet_call" --connect "127.0.0.1:$port" "${light[@]}" --headless "$work/c.mkv" > "$work/c.log" 2>&1 &
script_track_pid $!
c=$!
wait_for "$work/b.log" "in a call with"
wait_for "$work/c.log" "in a call with"
sleep 1
kill -9 "$c"
wait "$c" 2>/dev/null || true
finish "$b" 3 "the listener whose caller vanished"
grep -qF "nothing from the peer for 2 s: the call is lost" "$work/b.log" ||
    fail "the listener did not say the call was lost"
frames=$(ffprobe -v error -count_frames -select_streams v -show_entries stream=nb_read_frames \
         -of csv=p=0 "$work/b.mkv")
[ "${frames:-0}" -gt 0 ] || fail "the listener's recording of the lost call is empty or broken"
echo "ok: the listener ended the lost call with $frames frames recorded"

echo "== hanging up with SIGTERM"
"$facet_call" --listen 0 "${light[@]}" --headless "$work/d.mkv" > "$work/d.log" 2>&1 &
script_track_pid $!
d=$!
listener_port "$work/d.log" "$d" || fail "no port from listener d"
"$facet_call" --connect "127.0.0.1:$port" "${light[@]}" --headless "$work/e.mkv" > "$work/e.log" 2>&1 &
script_track_pid $!
e=$!
wait_for "$work/d.log" "in a call with"
wait_for "$work/e.log" "in a call with"
kill -TERM "$e"
finish "$e" 0 "the caller after SIGTERM"
finish "$d" 0 "the listener whose caller hung up"
grep -qF "ending the call: the peer hung up" "$work/d.log" || fail "the listener missed the BYE"

echo "== a video file that ends ends the call"
"$facet_call" --listen 0 "${light[@]}" --headless "$work/f.mkv" > "$work/f.log" 2>&1 &
script_track_pid $!
f=$!
listener_port "$work/f.log" "$f" || fail "no port from listener f"
"$facet_call" --connect "127.0.0.1:$port" "${media[@]}" --video "file:$work/short.mkv" \
    --headless "$work/g.mkv" > "$work/g.log" 2>&1 &
script_track_pid $!
g=$!
finish "$g" 0 "the caller whose file ended"
finish "$f" 0 "the listener whose caller's file ended"
grep -qF "ending the call: the media source ended" "$work/g.log" || fail "the caller did not end"
grep -qF "ending the call: the peer hung up" "$work/f.log" || fail "the listener missed the BYE"

# summary_of LOG KEY: a value of the summary line.
summary_of() { grep '^summary:' "$1" | grep -o " $2=[^ ]*" | cut -d= -f2; }

echo "== a caller with the wrong key, then one in the clear"
"$facet_call" --listen 0 "${light[@]}" --duration 12 --headless "$work/h.mkv" > "$work/h.log" 2>&1 &
script_track_pid $!
h=$!
listener_port "$work/h.log" "$h" || fail "no port from listener h"
# Its packets fail authentication: the listener never takes it for its
# peer, so it never answers, and the caller gives up (exit 3).
expect 3 "no answer from 127.0.0.1:$port within 3 s" --connect "127.0.0.1:$port" --timeout 3 \
    --mode keypoint --model "" --key "$other_key" --fps 10 --audio tone --video test \
    --headless "$work/i.mkv"
expect 3 "no answer from 127.0.0.1:$port within 3 s" --connect "127.0.0.1:$port" --timeout 3 \
    --mode keypoint --model "" --key none --fps 10 --audio tone --video test \
    --headless "$work/j.mkv"
finish "$h" 0 "the listener that heard only strangers"
decoded=$(summary_of "$work/h.log" video_frames_decoded)
refused=$(summary_of "$work/h.log" srtp_refused)
received=$(summary_of "$work/h.log" video_packets_received)
[ "$decoded" = 0 ] || fail "the listener decoded $decoded frames of a caller with the wrong key"
[ "$received" = 0 ] || fail "the listener took $received video packets of strangers"
[ "${refused:-0}" -ge 20 ] || fail "SRTP refused only '$refused' packets of the strangers"
echo "ok: wrong key and plain RTP: nothing shown, $refused packets refused by SRTP"

echo "== an unencrypted call, and AES-CM with HMAC-SHA1"
for keys in "--key none" "--key $key --cipher aes-128-cm-hmac-sha1-80"; do
    # shellcheck disable=SC2086 # $keys holds two options
    "$facet_call" --listen 0 --mode keypoint --model "" --fps 10 --audio tone --video test $keys \
        --headless "$work/k.mkv" > "$work/k.log" 2>&1 &
    script_track_pid $!
    k=$!
    listener_port "$work/k.log" "$k" || fail "no port from listener k"
    # shellcheck disable=SC2086
    "$facet_call" --connect "127.0.0.1:$port" --mode keypoint --model "" --fps 10 --audio tone \
        --video "file:$work/short.mkv" $keys --headless "$work/l.mkv" > "$work/l.log" 2>&1 &
    script_track_pid $!
    l=$!
    finish "$l" 0 "the caller ($keys)"
    finish "$k" 0 "the listener ($keys)"
    decoded=$(summary_of "$work/k.log" video_frames_decoded)
    [ "${decoded:-0}" -ge 5 ] || fail "only '$decoded' frames decoded with $keys"
    echo "ok: $keys: $decoded frames decoded"
done
script_untrack_pids
echo "call errors: all checks passed"
