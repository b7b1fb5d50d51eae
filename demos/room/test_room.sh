#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A multi-party call through a private Janus (janus/janus-netns.sh: a user +
# network namespace). alice and bob join room 1234; once each shows the
# other's frames, carol joins late, shows both, and leaves mid-call on
# SIGTERM; alice and bob go on, and leave on SIGTERM once the call has
# lasted SECONDS. Checks, from each one's --stats-json:
#   - everyone exits 0 on SIGTERM, having left the room;
#   - each subscriber shows more than 80 % of the frames of each feed: of
#     the picture ids from the first frame it got to the last, and for
#     alice and bob (there from the start) of the frames the sender sent
#     (not with ROOM_TEST_SLOW=1: sanitizer builds take many seconds to
#     set a subscription up);
#   - references came over the data channel, whole, and were used: frames
#     rendered with a reference > 0 for every feed of alice and bob, at
#     carol's too (she gets them only because publishers re-send the
#     current reference on her keyframe request);
#   - carol sends no references (--references off): her stream header
#     alone reaches alice and bob, who render her with the network;
#   - carol's feed is gone from alice's and bob's lists, and their frames
#     of each other kept coming after she left.
# Every step waits for what it needs by polling the stats files; the
# deadlines only turn a hang into a failure with the logs.
#
#   test_room.sh FACET_ROOM MODEL SECONDS [SIZE FPS]
#
# SIZE x SIZE pictures at FPS frames/s (default 128 and 10: three
# participants, each decoding two feeds with the network, on 2 cores).
#
# Exit 77 (skip) when janus-netns.sh says namespaces or Janus are missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$here/../../tests/lib/script_common.sh"

if [ "${FACET_ROOM_TEST_INSIDE:-}" != 1 ]; then
    [ $# -eq 3 ] || [ $# -eq 5 ] ||
        { echo "usage: $0 FACET_ROOM MODEL SECONDS [SIZE FPS]" >&2; exit 2; }
    netns=$here/janus/janus-netns.sh
    if [ ! -x "$netns" ]; then
        echo "SKIP: $netns is missing" >&2
        exit 77
    fi
    command -v python3 >/dev/null || { echo "SKIP: python3 reads the stats" >&2; exit 77; }
    export FACET_ROOM_TEST_INSIDE=1
    exec "$netns" -- "$0" "$@"
fi

facet_room=$1
model=$2
seconds=$3
size=${4:-128}
fps=${5:-10}
url=${FACET_JANUS_URL:?janus-netns.sh sets it}
room=${FACET_JANUS_ROOM:-1234}

# The inside of the namespace owns the folder and the processes.
script_workdir
script_fail_logs=('*.log' '*.json')

common=(--janus "$url" --room "$room" --mode latent --bitrate 12 --headless
        --model "$model" --width "$size" --height "$size" --fps "$fps" --references on)

start() { # NAME [ARGS...]
    local name=$1
    shift
    "$facet_room" "${common[@]}" --name "$name" --stats-json "$work/$name.json" "$@" \
        >"$work/$name.log" 2>&1 &
    script_track_pid $!
    eval "${name}_pid=$!"
}

# stat FILE PYTHON-EXPRESSION: evaluates it with s = the stats and
# feed(name) = the entry of that feed (the last one of that name); prints
# the value, or nothing while the file is not there yet.
stat() {
    python3 - "$1" "$2" <<'PY'
import json, sys
try:
    s = json.load(open(sys.argv[1]))
except (OSError, ValueError):
    sys.exit(0)
def feed(name):
    found = [f for f in s["feeds"] if f["display"] == name]
    return found[-1] if found else None
def shown(name):
    f = feed(name)
    return f["frames_shown"] if f else 0
print(eval(sys.argv[2]))
PY
}

# holds FILE EXPRESSION: whether it is True now.
holds() { [ "$(stat "$1" "$2")" = True ]; }

# wait_for DESCRIPTION SECONDS FILE EXPRESSION: polls until it is True.
wait_for() {
    script_poll "$2" 0.2 holds "$3" "$4" || fail "$1: not within $2 s"
}

# The registry is built once here, not by the participants at once (each
# would scan every plugin in-process: GST_REGISTRY_FORK=no).
if command -v gst-inspect-1.0 >/dev/null; then
    gst-inspect-1.0 webrtcbin >/dev/null 2>&1 || true
fi

start alice
start bob
wait_for "alice shows bob" 60 "$work/alice.json" 'shown("bob") > 0'
wait_for "bob shows alice" 60 "$work/bob.json" 'shown("alice") > 0'

# carol sends no references: her stream header goes alone.
start carol --references off
wait_for "carol shows alice and bob with their references" 30 "$work/carol.json" \
    "all(feed(n) and feed(n)['frames_with_reference'] > $fps for n in ('alice', 'bob'))"
# ... and alice and bob render her with the network (her header has come
# over the data channel) before she leaves: their subscriptions to her may
# take seconds longer to set up than hers to them.
for name in alice bob; do
    wait_for "$name renders carol with the network" 30 "$work/$name.json" \
        "feed('carol') is not None and feed('carol')['frames_facet'] > 0"
done
kill -TERM "$carol_pid"
status=0
wait "$carol_pid" || status=$?
[ $status -eq 0 ] || fail "carol exited with $status on SIGTERM"
wait_for "alice sees carol leave" 15 "$work/alice.json" 'not feed("carol")["active"]'
wait_for "bob sees carol leave" 15 "$work/bob.json" 'not feed("carol")["active"]'
# Frames of each other keep coming after carol left.
after_alice=$(stat "$work/alice.json" 'shown("bob")')
after_bob=$(stat "$work/bob.json" 'shown("alice")')
wait_for "alice goes on showing bob" 20 "$work/alice.json" "shown('bob') >= $after_alice + 2 * $fps"
wait_for "bob goes on showing alice" 20 "$work/bob.json" "shown('alice') >= $after_bob + 2 * $fps"

# The call lasts SECONDS at least, then alice and bob leave on SIGTERM too.
wait_for "the call reaches $seconds s" $((seconds + 30)) "$work/alice.json" \
    "s['elapsed_s'] >= $seconds"
kill -TERM "$alice_pid" "$bob_pid"
for name in alice bob; do
    eval "pid=\$${name}_pid"
    status=0
    wait "$pid" || status=$?
    [ $status -eq 0 ] || fail "$name exited with $status on SIGTERM"
done

# The final counts (each process writes its file once more at the end).
check() { # FILE EXPRESSION DESCRIPTION
    holds "$1" "$2" || fail "$3 ($(basename "$1"): $2)"
}
sent_alice=$(stat "$work/alice.json" 's["publisher"]["frames_sent"]')
sent_bob=$(stat "$work/bob.json" 's["publisher"]["frames_sent"]')
for pair in "alice bob $sent_bob" "bob alice $sent_alice"; do
    set -- $pair
    file=$work/$1.json
    check "$file" "shown('$2') > 0.8 * feed('$2')['frames_expected']" \
        "$1 showed under 80 % of the frames of $2 it was sent"
    if [ "${ROOM_TEST_SLOW:-0}" = 1 ]; then
        # Sanitizer builds take many seconds to set a subscription up.
        echo "$1 showed $(stat "$file" "shown('$2')") of the $3 frames $2 sent"
    else
        check "$file" "shown('$2') > 0.8 * $3" "$1 showed under 80 % of the $3 frames $2 sent"
    fi
    check "$file" "feed('$2')['frames_with_reference'] > 0" "$1 never used a reference of $2"
    check "$file" "feed('$2')['references_whole'] > 0" "no whole reference of $2 reached $1"
    check "$file" "feed('$2')['messages_rejected'] == 0" "$1 rejected messages of $2"
    check "$file" "feed('carol')['frames_shown'] > 0" "$1 never showed carol"
    check "$file" "feed('carol')['frames_facet'] > 0" \
        "$1 never rendered carol (no references: her header came alone)"
    check "$file" "feed('carol')['frames_with_reference'] == 0" \
        "$1 used a reference of carol, who sends none"
    check "$file" "s['publisher']['messages_sent'] > 0" "$1 sent no reference message"
    check "$file" "s['publisher']['picture_id_mismatches'] == 0" "$1's picture ids drifted"
done
for name in alice bob; do
    check "$work/carol.json" "shown('$name') > 0.8 * feed('$name')['frames_expected']" \
        "carol (late) showed under 80 % of $name's frames"
    check "$work/carol.json" "feed('$name')['frames_with_reference'] > 0" \
        "carol (late) never got a reference of $name"
done
for name in alice bob carol; do
    echo "$name: $(grep 'summary:' "$work/$name.log" || true)"
done
echo "test_room.sh: the call of three went as it should"
