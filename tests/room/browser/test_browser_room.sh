#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# A browser subscribes to a publisher in room 1234 through janus.js and shows
# its video: headless Chromium opens subscriber.html, which sends back a
# frame of the playing video (OUT_DIR/subscriber.png) and what it measured.
# Run inside demos/room/janus/janus-netns.sh:
#   janus-netns.sh tests/room/browser/test_browser_room.sh OUT_DIR
# The publisher: by default a second headless Chromium with its fake camera
# (publisher.html, display name "chromium-publisher"), which also sends data
# messages of 65,535 bytes, which the subscriber must receive, and of 65,536,
# which Janus 1.1.2 drops (docs/multiparty.md). To watch another
# publisher (facet-room), start it in the same namespace and set
# FACET_ROOM_FEED to its display name: no Chromium publisher is started then,
# and data messages are not required.
set -euo pipefail

me=test_browser_room.sh
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?usage: $me OUT_DIR}
: "${FACET_JANUS_URL:?$me: run me through demos/room/janus/janus-netns.sh (FACET_JANUS_URL is not set)}"
room=${FACET_JANUS_ROOM:-1234}
python=/usr/bin/python3
# Pages on localhost: a secure context, so getUserMedia works over HTTP.
web_address=127.0.0.1
web_port=8000
deadline_s=${FACET_BROWSER_TIMEOUT:-90}
janus_js=/usr/share/javascript/janus-gateway/janus.js
adapter_js=/usr/share/javascript/webrtc-adapter/adapter.js

# shellcheck source=SCRIPTDIR/../../lib/script_common.sh
. "$here/../../lib/script_common.sh"
# Its own fail: the messages name the script, and there are no logs to show.
fail() { echo "$me: FAIL: $*" >&2; exit 1; }
for file in "$janus_js" "$adapter_js"; do
    [ -r "$file" ] || fail "$file is missing (packages libjs-janus-gateway, libjs-webrtc-adapter; scripts/setup)"
done
command -v chromium >/dev/null || fail "chromium is missing (scripts/setup installs it)"

mkdir -p "$out"
rm -f "$out/result.json" "$out/subscriber.png"
# The page server and the browsers end on SIGTERM (and are waited for).
script_kill_signal=TERM
script_workdir "${TMPDIR:-/tmp}/facet-browser.XXXXXX"

site=$work/site
mkdir "$site"
ln -s "$here"/subscriber.html "$here"/publisher.html "$here"/room_common.js "$janus_js" \
      "$adapter_js" "$site"/

# chromium NAME URL: a headless browser with fake camera and microphone,
# camera permission granted, logging to $work/chromium-NAME.log.
chromium_page() {
    # --no-sandbox: the namespace maps this user to root, which Chromium's
    # sandbox refuses. Plain host candidates (no mDNS names): Janus needs
    # no name resolution inside the namespace.
    chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
        --user-data-dir="$work/profile-$1" \
        --use-fake-ui-for-media-stream --use-fake-device-for-media-stream \
        --autoplay-policy=no-user-gesture-required \
        --disable-features=WebRtcHideLocalIpsWithMdns \
        "$2" >"$work/chromium-$1.log" 2>&1 </dev/null &
    script_track_pid $!
}

"$python" "$here"/serve.py "$site" "$web_address" "$web_port" "$out" "$deadline_s" &
server_pid=$!
script_track_pid "$server_pid"
# Ready when it serves the page (poll with a deadline).
ready_deadline=$((SECONDS + 20))
until curl --silent --fail --max-time 2 -o /dev/null "http://$web_address:$web_port/subscriber.html"; do
    kill -0 "$server_pid" 2>/dev/null || fail "serve.py exited before serving"
    [ $SECONDS -lt $ready_deadline ] || fail "serve.py did not serve within 20 s"
    sleep 0.1
done

query="janus=$FACET_JANUS_URL&room=$room"
feed=${FACET_ROOM_FEED:-}
if [ -z "$feed" ]; then
    feed=chromium-publisher
    chromium_page publisher "http://$web_address:$web_port/publisher.html?$query&display=$feed"
    expect_data=1
else
    echo "$me: subscribing to FACET_ROOM_FEED=$feed (no Chromium publisher)"
    expect_data=0
fi
chromium_page subscriber "http://$web_address:$web_port/subscriber.html?$query&feed=$feed"

status=0
wait "$server_pid" || status=$?
if [ "$status" -ne 0 ]; then
    for log in "$work"/chromium-*.log; do
        echo "$me: the last lines of $(basename "$log"):" >&2
        tail -n 15 "$log" >&2
    done
    fail "no result from the subscriber page (serve.py exited with status $status)"
fi

result=$(cat "$out/result.json")
check() {
    "$python" -c 'import json, sys; j = json.loads(sys.argv[1]); sys.exit(0 if eval(sys.argv[2]) else 1)' \
        "$result" "$1" || fail "$2 (result: $result)"
    echo "ok: $2"
}
check 'j["ok"] is True' "the subscriber page ran without error"
check 'j["width"] > 0 and j["height"] > 0' "the video plays"
check 'j["luma_sd"] > 5' "the video frame is a picture, not a flat colour"
check '"png_file" in j' "a frame of the video was saved as $out/subscriber.png"
if [ "$expect_data" = 1 ]; then
    check 'j["data_messages"] > 0' "the publisher's data messages reach the subscriber"
    check 'j["data_largest"] >= 65535' "a data message of 65,535 bytes is relayed whole"
    largest=$("$python" -c 'import json, sys; print(json.loads(sys.argv[1])["data_largest"])' "$result")
    echo "note: the largest data message relayed was $largest bytes (65,536 were sent too)"
fi
echo "$me: all checks passed"
