# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash
# The block the shell tests and measurement scripts share (demos/call,
# demos/room, tests): a temporary folder removed at exit, child processes
# stopped at exit, `fail`, and a bounded poll. Sourced after the script's own
# `set -euo pipefail`, never run; it sets no shell options itself:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../../tests/lib/script_common.sh"
#
#   script_workdir [TEMPLATE]  work=$(mktemp -d [TEMPLATE]) and `trap script_cleanup
#                              EXIT`. Call it in the process that owns the folder:
#                              after a script's re-exec (into a namespace), not before.
#   script_track_pid PID...    stopped at exit: sent script_kill_signal (default KILL),
#                              then waited for
#   script_untrack_pids        forgets them all (once the script has waited for them)
#   script_on_cleanup COMMAND  COMMAND (a string, as for trap) runs at exit before the
#                              tracked processes are stopped and the folder removed,
#                              in the order added
#   fail MESSAGE...            "FAIL: MESSAGE" on stderr, then "--- FILE" and each file
#                              of $work that matches a glob of script_fail_logs (e.g.
#                              ('*.log' '*.json')): whole, or its last script_fail_tail
#                              lines; exit 1
#   script_poll LIMIT_S INTERVAL_S COMMAND [ARG...]
#                              runs COMMAND until it succeeds, INTERVAL_S apart; status
#                              1 once LIMIT_S have passed without (a deadline only turns
#                              a hang into a failure)
#
# The EXIT trap keeps the script's exit status.

work=${work:-}
script_pids=()
script_cleanup_hooks=()
script_kill_signal=KILL
script_fail_logs=()
script_fail_tail=

# shellcheck disable=SC2120 # the template is optional
script_workdir() {
    work=$(mktemp -d "$@")
    trap script_cleanup EXIT
}

script_track_pid() { script_pids+=("$@"); }

script_untrack_pids() { script_pids=(); }

script_on_cleanup() { script_cleanup_hooks+=("$1"); }

script_cleanup() {
    local hook pid
    for hook in "${script_cleanup_hooks[@]}"; do eval "$hook" || true; done
    for pid in "${script_pids[@]}"; do kill -"$script_kill_signal" "$pid" 2>/dev/null || true; done
    for pid in "${script_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    # A process that outlives the tracked ones (a browser's helpers) may
    # still write there for a moment: a second try a second later.
    if [ -n "$work" ]; then rm -rf "$work" 2>/dev/null || { sleep 1; rm -rf "$work"; }; fi
}

fail() {
    local pattern file
    echo "FAIL: $*" >&2
    if [ -n "$work" ]; then
        for pattern in "${script_fail_logs[@]}"; do
            # shellcheck disable=SC2086 # the pattern is a glob
            for file in "$work"/$pattern; do
                [ -f "$file" ] || continue
                echo "--- $file" >&2
                if [ -n "$script_fail_tail" ]; then
                    tail -n "$script_fail_tail" "$file" >&2
                else
                    cat "$file" >&2
                fi
            done
        done
    fi
    exit 1
}

script_poll() {
    local deadline=$((SECONDS + $1)) interval=$2
    shift 2
    until "$@"; do
        [ "$SECONDS" -lt "$deadline" ] || return 1
        sleep "$interval"
    done
}
