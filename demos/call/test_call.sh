#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A two-party call on loopback: the caller sends a video file of SECONDS *
# FPS frames and a tone with 10 % of its video RTP packets dropped, and the
# first packet of its second keyframe, and hangs up when the file ends; the listener records what it receives. Third-party
# datagrams hit the listener's ports before and during the call. Checks what
# the call must do, whatever the load on the machine: both sides exit 0 and
# the listener sees the hang-up; the caller sent frames and the listener
# decoded every frame it could: each one that went out whole after a
# keyframe that went out whole (the caller counts them; how many that is
# depends on how soon a keyframe request is answered, which depends on the
# load, so no share of the frames sent is asked for); keyframe requests
# (RTCP PLI) went out, reached the caller and were answered with keyframes; the
# recording holds exactly the decoded frames and decodable Opus audio of
# the tone; every stray datagram was counted and dropped; the caller
# recorded the listener's video.
#
# Nothing here is timed by the wall clock: the call lasts as long as the
# file, each step waits for the event it needs (the listener's ports, the
# first video, both sides' exit), and the polling loops' bounds (a minute)
# only turn a hang into a failure with the logs.
#
#   test_call.sh FACET_CALL MODEL SECONDS FPS
#
# MODEL "" runs intra-only (the sanitizer build, where the network renders
# too slowly for a real-time call). LOSS_SEED (default 1), KEYFRAME_INTERVAL
# (seconds, default 2) and LATENCY (the jitter buffer in ms, default 20) in
# the environment vary the run. Which packets the seeded 10 % hit depends
# on the frames a loaded caller skips, so keyframe requests are made certain
# by --drop-keyframe 2: the keyframe at 2 s always loses a packet.
set -euo pipefail
facet_call=$1
model=$2
seconds=$3
fps=$4

# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
# shellcheck source=SCRIPTDIR/listener_port.sh
. "$(dirname "${BASH_SOURCE[0]}")/listener_port.sh"
script_workdir
script_fail_logs=('*.log')

# The summary line's value for KEY in LOG.
summary() {
    local value
    value=$(grep '^summary:' "$1" | grep -o " $2=[^ ]*" | cut -d= -f2)
    [ -n "$value" ] || fail "no $2 in the summary of $1"
    echo "$value"
}

# A talking-head clip of exactly the call's frames, paced by facet-call
# itself; its end ends the call.
clip=$work/clip.mkv
clip_frames=$((seconds * fps))
sample=/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
if [ -f "$sample" ]; then
    ffmpeg -nostdin -v error -stream_loop 2 -i "$sample" -frames:v "$clip_frames" -an \
        -vf "crop=ih:ih,scale=256:256,fps=$fps" -c:v mjpeg -q:v 5 "$clip"
else
    echo "note: $sample is missing (scripts/setup installs it); using a generated clip"
    ffmpeg -nostdin -v error -f lavfi -i "testsrc2=size=256x256:rate=$fps" \
        -frames:v "$clip_frames" -c:v mjpeg -q:v 5 "$clip"
fi

# One codec thread each: two processes share the machine, and the
# listener's own video (checked for presence only) goes at a third of the
# rate, leaving the CPU to the direction under test. Loopback has no
# jitter: a short jitter buffer finds losses sooner. --timeout only ends a
# call whose peer fell silent; on a loaded machine a peer may pause for
# seconds, so it is far above any such pause.
# Both sides share an SRTP master key, from a file only we may read.
(umask 077; od -An -tx1 -N32 /dev/urandom | tr -d ' \n' > "$work/call.key")
# The keypoint tier (facetenc's auto mode would pick the latent one when
# its model is found), where a delta needs only its keyframe. No
# retransmission: with it a frame that went out broken may still be
# shown, and a jitter buffer this short declares late packets lost, so the
# caller's count of decodable frames would no longer be what the listener
# can decode (call_latent and call_errors run calls with it). No FEC for
# the same reason: it would rebuild packets that --video-loss dropped
# (call_latent runs a call with it).
common=(--mode keypoint --model "$model" --key "file:$work/call.key" --audio tone --timeout 60
        --threads 1 --no-retransmission --fec 0
        --keyframe-interval "${KEYFRAME_INTERVAL:-2}" --latency "${LATENCY:-20}")

# The listener ends when the caller hangs up; its --duration only stops a
# listener that was never called (ctest's TIMEOUT would kill it silently).
"$facet_call" --listen 0 "${common[@]}" --fps $(((fps + 2) / 3)) --video test \
    --headless "$work/received.mkv" --duration 150 > "$work/listener.log" 2>&1 &
script_track_pid $!
listener=$!
listener_port "$work/listener.log" "$listener" || fail "no port from the listener"
echo "listener on UDP ports $port-$((port + 3))"

# Datagrams that are not RTP/RTCP of this call, before anyone calls: the
# listener must not take their sender for its peer.
stray=0
send_datagram() { printf "$2" > "/dev/udp/127.0.0.1/$1"; }
for p in $port $((port + 1)) $((port + 2)) $((port + 3)); do
    send_datagram "$p" 'not an RTP packet'
    stray=$((stray + 1))
done
# Valid RTP with a payload type this call does not use.
send_datagram "$port" '\x80\x21\x00\x01\x00\x00\x00\x01\x12\x34\x56\x78payload'
stray=$((stray + 1))
# Plain RTP of the right type, first at the port: it could be the caller's,
# so it goes on to SRTP authentication, fails it, and teaches the listener
# nothing (the real caller must still get through).
send_datagram "$port" '\x80\x60\x00\x01\x00\x00\x00\x01\x0b\xad\xca\x11\xc0\x00\x02plaintext-before'

"$facet_call" --connect "127.0.0.1:$port" "${common[@]}" --fps "$fps" --video "file:$clip" \
    --video-loss 10 --loss-seed "${LOSS_SEED:-1}" --drop-keyframe 2 --headless "$work/returned.mkv" \
    > "$work/caller.log" 2>&1 &
script_track_pid $!
caller=$!

# Mid-call (once the listener's live line shows video coming in, so it
# knows the caller's video port): garbage again, and a well-formed video
# packet from a stranger.
video_in='\| in ([1-9][0-9]*\.[0-9]|0\.[1-9]) kbit/s'
for _ in $(seq 600); do
    grep -qE "$video_in" "$work/listener.log" && break
    kill -0 "$caller" 2>/dev/null || break
    sleep 0.1
done
grep -qE "$video_in" "$work/listener.log" || fail "no video arrived at the listener"
for p in $port $((port + 1)) $((port + 2)) $((port + 3)); do
    send_datagram "$p" '\x80'
    stray=$((stray + 1))
done
send_datagram "$port" '\x80\x60\x00\x01\x00\x00\x00\x01\x12\x34\x56\x78\xc0\x00\x02stranger'

caller_status=0
wait "$caller" || caller_status=$?
listener_status=0
wait "$listener" || listener_status=$?
script_untrack_pids
cat "$work/caller.log" "$work/listener.log"
[ "$caller_status" -eq 0 ] || fail "the caller exited with $caller_status"
[ "$listener_status" -eq 0 ] || fail "the listener exited with $listener_status"
grep -q 'ending the call: the media source ended' "$work/caller.log" ||
    fail "the caller did not end the call at the end of its file"
grep -q 'ending the call: the peer hung up' "$work/listener.log" ||
    fail "the listener did not see the caller hang up"

sent=$(summary "$work/caller.log" video_frames_sent)
lost=$(summary "$work/caller.log" video_frames_lost)
decodable=$(summary "$work/caller.log" video_frames_decodable)
dropped=$(summary "$work/caller.log" video_packets_dropped)
decoded=$(summary "$work/listener.log" video_frames_decoded)
# Keyframe requests are PLI, or FIR where the depayloader asks for a
# whole reference (the latent tier; rtcp-fb-ccm-fir).
pli_sent=$(($(summary "$work/listener.log" pli_sent) + $(summary "$work/listener.log" fir_sent)))
pli_received=$(($(summary "$work/caller.log" pli_received) + $(summary "$work/caller.log" fir_received)))
requests=$(summary "$work/caller.log" keyframe_requests)
answered=$(summary "$work/caller.log" keyframe_requests_answered)
listener_sent=$(summary "$work/listener.log" video_frames_sent)
malformed=$(summary "$work/listener.log" packets_malformed)
refused=$(summary "$work/listener.log" srtp_refused)
rtx_sent=$(summary "$work/caller.log" rtx_packets_sent)
nack_sent=$(summary "$work/listener.log" nack_sent)
strangers=$(summary "$work/listener.log" packets_stranger)
arrived=$((sent - lost))
echo "clip $clip_frames frames; caller sent $sent, $lost hit by the $dropped dropped packets;" \
     "$decodable of them decodable (whole, after a whole keyframe); listener decoded $decoded" \
     "($((decoded * 100 / (arrived > 0 ? arrived : 1))) % of the $arrived that arrived whole)"
echo "PLI+FIR sent $pli_sent, received $pli_received; keyframe requests at the encoder $requests," \
     "answered $answered; stray datagrams $stray malformed + 1 stranger, counted" \
     "$malformed + $strangers; SRTP refused $refused; NACKs sent $nack_sent," \
     "retransmissions sent $rtx_sent"

# The caller's encoder skips frames it cannot keep up with (a live call
# must not fall behind); half the file goes out even on a loaded machine.
[ $((sent * 2)) -ge "$clip_frames" ] || fail "only $sent of the file's $clip_frames frames sent"
[ "$dropped" -gt 0 ] || fail "--video-loss 10 dropped nothing"
# Frames that arrived but belong to a lost keyframe wait for the keyframe
# that answers the request; every other frame must decode. The 2 % allow for
# a packet the listener's jitter buffer gave up on while its process was
# starved; a call that does not recover, or a decoder that fails, misses far
# more. Loopback duplicates nothing: no more than were decodable.
[ "$decodable" -ge 1 ] || fail "no frame went out decodable"
[ $((decoded * 50)) -ge $((decodable * 49)) ] ||
    fail "decoded $decoded of the $decodable frames that went out decodable"
[ "$decoded" -le "$decodable" ] || fail "decoded $decoded, more than the $decodable decodable"
[ "$refused" -ge 1 ] || fail "the plain RTP before the call was not refused by SRTP"
[ "$nack_sent" -eq 0 ] || fail "$nack_sent NACKs with --no-retransmission"
[ "$pli_sent" -ge 1 ] || fail "the listener sent no keyframe request"
[ "$pli_received" -ge 1 ] || fail "the caller received no keyframe request"
[ "$requests" -ge 1 ] || fail "no keyframe request reached the caller's encoder"
[ "$answered" -ge 1 ] || fail "no keyframe request was answered"
[ "$malformed" -eq "$stray" ] || fail "$stray stray datagrams, $malformed counted as malformed"
[ "$strangers" -eq 1 ] || fail "1 stranger packet, $strangers counted"

# The recording: one frame per decoded frame, and the tone as Opus.
probe() {
    ffprobe -v error -count_frames -select_streams "$2" \
        -show_entries stream=codec_name,nb_read_frames -of csv=p=0 "$1"
}
video=$(probe "$work/received.mkv" v)
audio=$(probe "$work/received.mkv" a)
echo "recording: video $video, audio $audio"
[ "$video" = "mjpeg,$decoded" ] || fail "the recording's video is '$video', expected mjpeg,$decoded"
[ "${audio%%,*}" = opus ] || fail "the recording's audio is '$audio', not Opus"
samples=$(ffmpeg -nostdin -v error -i "$work/received.mkv" -map 0:a:0 -f s16le -ac 1 -ar 48000 - |
          wc -c)
samples=$((samples / 2))
[ "$samples" -ge $((48000 * seconds / 2)) ] ||
    fail "only $samples audio samples decoded from a call of a $seconds s file"
level=$(ffmpeg -nostdin -v info -i "$work/received.mkv" -map 0:a:0 -af volumedetect -f null - 2>&1 |
        sed -n 's/.*mean_volume: \(-*[0-9.]*\) dB/\1/p')
echo "audio: $samples samples, mean volume $level dB"
awk -v l="$level" 'BEGIN { exit !(l != "" && l > -30) }' ||
    fail "the audio is silent (mean volume '$level' dB), not the tone"

# The other direction: the caller recorded the listener's test pattern
# (sent without loss; before the call starts it goes nowhere).
returned=$(probe "$work/returned.mkv" v)
echo "the listener sent $listener_sent frames; the caller recorded: video $returned"
[ "${returned%%,*}" = mjpeg ] || fail "the caller's recording is '$returned', not the video"
[ $((${returned#mjpeg,} * 2)) -ge "$listener_sent" ] ||
    fail "the caller recorded only '$returned' of the listener's $listener_sent frames"
echo "call: all checks passed"
