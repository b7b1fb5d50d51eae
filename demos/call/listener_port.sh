# SPDX-License-Identifier: BSD-2-Clause
# Sourced by the facet-call scripts (after tests/lib/script_common.sh):
#
#   listener_port LOG PID
#
# waits until the listener PID, whose output goes to LOG, says which UDP
# ports it waits on ("waiting for a call on UDP ports P-P+3", what
# facet-call prints once it listens) and sets `port` to P. Returns 1 with a
# message when the listener exits first, or after 60 s: the first run of a
# build registers the system's GStreamer plugins, which takes seconds, and
# the deadline only turns a hang into a failure.
listener_port() {
    local log=$1 pid=$2 deadline=$((SECONDS + 60))
    port=
    while :; do
        port=$(sed -n 's/.*waiting for a call on UDP ports \([0-9]*\)-.*/\1/p' "$log" 2>/dev/null)
        [ -z "$port" ] || return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "the listener exited before listening" >&2
            return 1
        fi
        if [ "$SECONDS" -ge "$deadline" ]; then
            echo "the listener did not report its ports within 60 s" >&2
            return 1
        fi
        sleep 0.1
    done
}
