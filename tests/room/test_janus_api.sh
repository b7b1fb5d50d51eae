#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# The Janus that demos/room/janus/janus-netns.sh starts, through its HTTP API:
# only VideoRoom and HTTP are loaded, data channels are there, room 1234 is
# declared as configured (VP8, Opus, >= 10 publishers, notify_joining), rooms
# can be created and destroyed through the API, and rooms and sessions that
# do not exist are reported as such.
# Run it inside the namespace: janus-netns.sh tests/room/test_janus_api.sh
set -euo pipefail

me=test_janus_api.sh
json="/usr/bin/python3 $(dirname "$0")/janus_json.py"
: "${FACET_JANUS_URL:?$me: run me through demos/room/janus/janus-netns.sh (FACET_JANUS_URL is not set)}"
room=${FACET_JANUS_ROOM:-1234}
missing_room=987654321

fail() {
    echo "$me: FAIL: $*" >&2
    if [ -n "${FACET_JANUS_LOG:-}" ]; then
        echo "$me: the last lines of Janus's log ($FACET_JANUS_LOG):" >&2
        tail -n 20 "$FACET_JANUS_LOG" >&2 || true
    fi
    exit 1
}
# request PATH JSON: POSTs a Janus API request (a transaction id is added)
# to $FACET_JANUS_URL/PATH and prints the answer.
request() {
    local body="${2%\}},\"transaction\":\"t$RANDOM$RANDOM\"}"
    curl --silent --show-error --fail --max-time 10 --data "$body" "$FACET_JANUS_URL$1" ||
        fail "POST $FACET_JANUS_URL$1 $body: curl failed"
}
# expect ANSWER EXPRESSION WHAT: the expression holds for the answer.
expect() {
    $json "$1" "$2" || fail "$3"
    echo "ok: $3"
}
# videoroom SESSION HANDLE BODY: a synchronous VideoRoom request; prints the
# answer after checking that the plugin answered it.
videoroom() {
    local answer
    answer=$(request "/$1/$2" "{\"janus\":\"message\",\"body\":$3}")
    $json "$answer" 'j["janus"] == "success" and j["plugindata"]["plugin"] == "janus.plugin.videoroom"' ||
        fail "VideoRoom did not answer $3"
    echo "$answer"
}

info=$(request "" '{"janus":"info"}')
expect "$info" 'j["janus"] == "server_info"' "the API answers an info request"
expect "$info" 'sorted(j["plugins"]) == ["janus.plugin.videoroom"]' "VideoRoom is the only plugin"
expect "$info" 'sorted(j["transports"]) == ["janus.transport.http"]' "HTTP is the only transport"
expect "$info" 'j["events"] == {} and j["loggers"] == {} and j["event_handlers"] is False' \
       "no event handlers, no loggers"
expect "$info" 'j["data_channels"] is True' "Janus is built with data channels"

answer=$(request "" '{"janus":"create"}')
expect "$answer" 'isinstance(j["data"]["id"], int)' "a session is created"
session=$($json "$answer" 'j["data"]["id"]')
answer=$(request "/$session" '{"janus":"attach","plugin":"janus.plugin.videoroom"}')
expect "$answer" 'j["janus"] == "success" and isinstance(j["data"]["id"], int)' "VideoRoom attached"
handle=$($json "$answer" 'j["data"]["id"]')

answer=$(videoroom "$session" "$handle" "{\"request\":\"exists\",\"room\":$room}")
expect "$answer" "j['plugindata']['data']['room'] == $room and j['plugindata']['data']['exists'] is True" \
       "room $room exists"
answer=$(videoroom "$session" "$handle" "{\"request\":\"exists\",\"room\":$missing_room}")
expect "$answer" 'j["plugindata"]["data"]["exists"] is False' "room $missing_room does not exist"

answer=$(videoroom "$session" "$handle" '{"request":"list"}')
expect "$answer" 'j["plugindata"]["data"]["videoroom"] == "success"' "the rooms are listed"
listed="[r for r in j['plugindata']['data']['list'] if r['room'] == $room]"
expect "$answer" "len($listed) == 1" "room $room is in the list"
expect "$answer" "${listed}[0]['videocodec'] == 'vp8' and ${listed}[0]['audiocodec'] == 'opus'" \
       "room $room takes VP8 video and Opus audio"
expect "$answer" "${listed}[0]['max_publishers'] >= 10" "room $room takes at least 10 publishers"
expect "$answer" "${listed}[0]['notify_joining'] is True" "room $room announces everyone who joins"

# Rooms made through the API, as facet-room does for a meeting of its own.
new_room=4321
answer=$(videoroom "$session" "$handle" \
    "{\"request\":\"create\",\"room\":$new_room,\"publishers\":10,\"videocodec\":\"vp8\",\"audiocodec\":\"opus\"}")
expect "$answer" "j['plugindata']['data']['videoroom'] == 'created' and j['plugindata']['data']['room'] == $new_room" \
       "room $new_room is created through the API"
answer=$(videoroom "$session" "$handle" "{\"request\":\"exists\",\"room\":$new_room}")
expect "$answer" 'j["plugindata"]["data"]["exists"] is True' "room $new_room exists"
answer=$(videoroom "$session" "$handle" "{\"request\":\"destroy\",\"room\":$new_room}")
expect "$answer" 'j["plugindata"]["data"]["videoroom"] == "destroyed"' "room $new_room is destroyed"
answer=$(videoroom "$session" "$handle" "{\"request\":\"exists\",\"room\":$new_room}")
expect "$answer" 'j["plugindata"]["data"]["exists"] is False' "room $new_room is gone"
# 426: JANUS_VIDEOROOM_ERROR_NO_SUCH_ROOM.
answer=$(videoroom "$session" "$handle" "{\"request\":\"destroy\",\"room\":$missing_room}")
expect "$answer" 'j["plugindata"]["data"]["error_code"] == 426' \
       "destroying room $missing_room fails with 'no such room'"

answer=$(request "/$session" '{"janus":"destroy"}')
expect "$answer" 'j["janus"] == "success"' "the session is destroyed"
# 458: JANUS_ERROR_SESSION_NOT_FOUND.
answer=$(request "/$session" '{"janus":"keepalive"}')
expect "$answer" 'j["janus"] == "error" and j["error"]["code"] == 458' \
       "the destroyed session is reported as not found"
echo "$me: all checks passed"
