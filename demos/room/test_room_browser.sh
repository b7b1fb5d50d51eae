#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A browser in the room sees a Facet publisher's base stream (issue #16,
# item 5): facet-room publishes the latent tier in room 1234 of a private
# Janus, and headless Chromium subscribes to it with Janus's own janus.js
# (tests/room/browser/test_browser_room.sh, FACET_ROOM_FEED) and saves a
# frame of the VP8 picture it plays as OUT_DIR/subscriber.png.
#
#   test_room_browser.sh FACET_ROOM MODEL OUT_DIR
#
# Exit 77 (skip) when janus-netns.sh says namespaces or Janus are missing.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ "${FACET_ROOM_TEST_INSIDE:-}" != 1 ]; then
    [ $# -eq 3 ] || { echo "usage: $0 FACET_ROOM MODEL OUT_DIR" >&2; exit 2; }
    export FACET_ROOM_TEST_INSIDE=1
    exec "$here/janus/janus-netns.sh" -- "$0" "$@"
fi

facet_room=$1
model=$2
out=$3
name=facet-publisher
mkdir -p "$out"
rm -f "$out/publisher.json"

"$facet_room" --janus "$FACET_JANUS_URL" --room "${FACET_JANUS_ROOM:-1234}" --name "$name" \
    --model "$model" --test-source --width 256 --height 256 --fps 10 --bitrate 12 \
    --no-audio --headless --duration 300 --stats-json "$out/publisher.json" \
    > "$out/publisher.log" 2>&1 &
publisher=$!
trap 'kill "$publisher" 2>/dev/null || true; wait "$publisher" 2>/dev/null || true' EXIT

# The browser subscribes once the publisher is in the room and sending.
sent() {
    /usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["publisher"]["frames_sent"])' \
        "$out/publisher.json" 2>/dev/null || echo 0
}
for _ in $(seq 1 600); do
    [ "$(sent)" -gt 0 ] && break
    kill -0 "$publisher" 2>/dev/null ||
        { tail -n 20 "$out/publisher.log" >&2; echo "FAIL: facet-room ended" >&2; exit 1; }
    sleep 0.1
done
[ "$(sent)" -gt 0 ] || { tail -n 20 "$out/publisher.log" >&2; echo "FAIL: facet-room sent no frame" >&2; exit 1; }

FACET_ROOM_FEED=$name "$here/../../tests/room/browser/test_browser_room.sh" "$out"
echo "facet-room sent $(sent) frames; the browser's frame of them: $out/subscriber.png"
