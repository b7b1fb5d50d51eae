#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# Runs a command next to a private Janus (VideoRoom + HTTP, this folder's
# configuration), unprivileged, in a user + network namespace of its own.
#
# Why a namespace: Janus (libnice) never gathers ICE candidates on loopback,
# so a test on one machine needs a real interface, and a private network lets
# every test use the same addresses and ports without root and without
# touching the machine's network. Inside it a veth pair carries
#   10.77.0.1  (janus0): Janus's HTTP API and its only ICE address
#   10.77.0.2  (peers0): a second address for the clients, if they want one
# and the command sees:
#   FACET_JANUS_URL      http://10.77.0.1:8088/janus   (the Janus API)
#   FACET_JANUS_ADDRESS  10.77.0.1
#   FACET_PEER_ADDRESS   10.77.0.2
#   FACET_JANUS_ROOM     1234 (the room janus.plugin.videoroom.jcfg declares)
#   FACET_JANUS_LOG      Janus's log file
#   FACET_JANUS_PID      Janus's process id (as seen by COMMAND: /proc/PID/stat)
#
# Usage: janus-netns.sh [--log FILE] [--port PORT] [--timeout SECONDS] [--] COMMAND [ARG...]
#   --log FILE         Janus's log (default: FACET_JANUS_LOG, else a file in a
#                      temporary folder that is removed at the end)
#   --port PORT        the HTTP API's port (default 8088)
#   --timeout SECONDS  how long Janus may take to answer (default 30)
# Exit status: COMMAND's; 77 when this kernel refuses user/network namespaces
# (or veth in them) or janus is not installed (a test's "skip"); 2 for a
# usage error; 1 when Janus does not start (the end of its log is printed).
# The namespace ends with the command: Janus is stopped (SIGTERM, then
# SIGKILL), and where the kernel allows a PID namespace every process left
# inside it is killed too.
set -euo pipefail

me=janus-netns.sh
config_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../../../tests/lib/script_common.sh
. "$config_dir/../../../tests/lib/script_common.sh"
janus_address=10.77.0.1
peer_address=10.77.0.2
room=1234
# The interfaces inside the namespace (no other name can clash there).
janus_interface=janus0
peer_interface=peers0

die() { echo "$me: $*" >&2; exit 1; }
usage() {
    echo "usage: $me [--log FILE] [--port PORT] [--timeout SECONDS] [--] COMMAND [ARG...]" >&2
    exit 2
}

log_file=${FACET_JANUS_LOG:-}
port=8088
timeout_s=30
while [ $# -gt 0 ]; do
    case $1 in
        --log) [ $# -ge 2 ] || usage; log_file=$2; shift 2 ;;
        --port) [ $# -ge 2 ] || usage; port=$2; shift 2 ;;
        --timeout) [ $# -ge 2 ] || usage; timeout_s=$2; shift 2 ;;
        -h | --help) sed -n '3,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"; exit 0 ;;
        --) shift; break ;;
        -*) echo "$me: unknown option $1" >&2; usage ;;
        *) break ;;
    esac
done
[ $# -gt 0 ] || usage
if ! [[ $port =~ ^[0-9]{1,5}$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
    echo "$me: --port must be 1..65535, not '$port'" >&2
    exit 2
fi
if ! [[ $timeout_s =~ ^[0-9]{1,6}$ ]] || [ "$timeout_s" -lt 1 ]; then
    echo "$me: --timeout must be a whole number of seconds, not '$timeout_s'" >&2
    exit 2
fi
# The log path must mean the same inside (the folder is not changed there).
if [ -n "$log_file" ]; then
    case $log_file in /*) ;; *) log_file=$PWD/$log_file ;; esac
fi

# --- Outside: check what is needed, then enter the namespace. -------------
if [ "${FACET_JANUS_NETNS_INSIDE:-}" != 1 ]; then
    if ! command -v janus >/dev/null 2>&1; then
        echo "$me: janus is not installed (Debian package 'janus'; scripts/setup installs it)" >&2
        exit 77
    fi
    for tool in setpriv unshare ip curl; do
        command -v "$tool" >/dev/null 2>&1 ||
            die "'$tool' is missing (packages util-linux, iproute2, curl; scripts/setup)"
    done
    # The probe does what the inside will do: a namespace, a veth pair.
    probe='ip link add probe0 type veth peer name probe1'
    # A PID namespace too where allowed: when the command ends or this script
    # is killed, the kernel kills whatever is left in it (Janus included).
    # setpriv --pdeathsig: if this script is killed (SIGKILL), unshare goes
    # too, and its --kill-child makes the inside clean up.
    namespace=(setpriv --pdeathsig KILL
               unshare --user --map-root-user --net --pid --fork --mount-proc
               --kill-child=SIGTERM)
    forks=1
    if ! "${namespace[@]}" sh -c "$probe" >/dev/null 2>&1; then
        # Without --fork unshare becomes the inside script, which cleans up
        # on SIGTERM.
        namespace=(setpriv --pdeathsig TERM unshare --user --map-root-user --net)
        forks=0
        if ! probe_error=$("${namespace[@]}" sh -c "$probe" 2>&1); then
            echo "$me: this kernel refuses an unprivileged user + network namespace" \
                 "with a veth pair ($probe_error); skipping" >&2
            exit 77
        fi
    fi
    export FACET_JANUS_NETNS_INSIDE=1
    args=(--port "$port" --timeout "$timeout_s")
    [ -z "$log_file" ] || args+=(--log "$log_file")
    # Not exec: unshare --fork blocks SIGINT and SIGTERM while it waits, so
    # this script stays to pass them on to the inside, which cleans up.
    "${namespace[@]}" "${BASH_SOURCE[0]}" "${args[@]}" -- "$@" 0<&0 &
    namespace_pid=$!
    # The inside, started with &, ignores SIGINT (bash does that to
    # background commands): every signal goes on as SIGTERM, and this script
    # exits with the status of the signal it got.
    signal_status=
    pass_on() {
        signal_status=$1
        local inside=$namespace_pid
        if [ "$forks" = 1 ]; then
            inside=$(pgrep -P "$namespace_pid" 2>/dev/null || echo "$namespace_pid")
        fi
        kill -TERM "$inside" 2>/dev/null || true
    }
    trap 'pass_on 130' INT
    trap 'pass_on 143' TERM
    trap 'pass_on 129' HUP
    # wait returns early for each signal passed on; bash keeps the status.
    while kill -0 "$namespace_pid" 2>/dev/null; do
        wait "$namespace_pid" || true
    done
    status=0
    wait "$namespace_pid" || status=$?
    exit "${signal_status:-$status}"
fi
unset FACET_JANUS_NETNS_INSIDE

# --- Inside: the network, Janus, the command. -----------------------------
ip link set lo up
ip link add "$janus_interface" type veth peer name "$peer_interface"
ip addr add "$janus_address/24" dev "$janus_interface"
ip addr add "$peer_address/24" dev "$peer_interface"
ip link set "$janus_interface" up
ip link set "$peer_interface" up

janus_pid=
command_pid=
stop_janus() {
    [ -n "$janus_pid" ] || return 0
    kill -TERM "$janus_pid" 2>/dev/null || true
    # Janus closes its sessions and plugins first; a few seconds at most.
    local deadline=$((SECONDS + 5))
    while kill -0 "$janus_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.1
    done
    if kill -0 "$janus_pid" 2>/dev/null; then
        echo "$me: Janus ignored SIGTERM for 5 s; killing it" >&2
        kill -KILL "$janus_pid" 2>/dev/null || true
    fi
    wait "$janus_pid" 2>/dev/null || true
    janus_pid=
}
# At exit, before the shared cleanup removes the folder: the command, then
# Janus.
stop_inside() {
    trap '' INT TERM HUP
    if [ -n "$command_pid" ]; then
        kill -TERM "$command_pid" 2>/dev/null || true
        wait "$command_pid" 2>/dev/null || true
    fi
    stop_janus
}
# A second signal (Ctrl-C reaches both this script and the one outside,
# which passes it on) must not cut the cleanup short.
interrupted() { trap '' INT TERM HUP; exit "$1"; }
# The folder belongs to the inside (the outside creates none).
script_workdir "${TMPDIR:-/tmp}/facet-janus.XXXXXX"
work_dir=$work
script_on_cleanup stop_inside
trap 'interrupted 130' INT
trap 'interrupted 143' TERM
trap 'interrupted 129' HUP
[ -n "$log_file" ] || log_file=$work_dir/janus.log

# A private copy of the configuration with this run's address and port (the
# HTTP transport has no command-line options for them).
conf=$work_dir/conf
mkdir "$conf"
cp "$config_dir"/janus.jcfg "$config_dir"/janus.plugin.videoroom.jcfg "$conf"/
sed -e "s/^\(\s*ip = \)\"[^\"]*\"/\1\"$janus_address\"/" \
    -e "s/^\(\s*port = \)[0-9]*/\1$port/" \
    "$config_dir"/janus.transport.http.jcfg >"$conf"/janus.transport.http.jcfg
if ! grep -q "^\s*ip = \"$janus_address\"" "$conf"/janus.transport.http.jcfg ||
   ! grep -q "^\s*port = $port\b" "$conf"/janus.transport.http.jcfg; then
    die "janus.transport.http.jcfg has no 'ip = \"...\"' and 'port = N' lines to set"
fi

url=http://$janus_address:$port/janus
# Janus's own stdout and stderr: its banner, and any error it meets before
# the log file is open.
console=$work_dir/janus.console
print_log_tail() {
    echo "$me: Janus's console output:" >&2
    cat "$console" >&2
    echo "$me: the last lines of Janus's log ($log_file):" >&2
    tail -n 30 "$log_file" >&2 2>/dev/null || echo "  (no log was written)" >&2
}

# -i: the address Janus puts in its SDP; -E: ICE gathers on janus0 only.
# -N: everything goes to the log file, nothing to this terminal.
janus --configs-folder="$conf" --log-file="$log_file" --disable-stdout --disable-colors \
      --interface="$janus_address" --ice-enforce-list="$janus_interface" \
      </dev/null >"$console" 2>&1 &
janus_pid=$!

# Ready when the API answers an info request; poll until a deadline.
deadline=$((SECONDS + timeout_s))
until curl --silent --fail --max-time 2 --data '{"janus":"info","transaction":"ready"}' \
          "$url" 2>/dev/null | grep -q '"janus" *: *"server_info"'; do
    if ! kill -0 "$janus_pid" 2>/dev/null; then
        status=0
        wait "$janus_pid" || status=$?
        janus_pid=
        echo "$me: Janus exited with status $status before its API answered at $url" >&2
        print_log_tail
        exit 1
    fi
    if [ $SECONDS -ge $deadline ]; then
        echo "$me: Janus did not answer at $url within $timeout_s s" >&2
        print_log_tail
        exit 1
    fi
    sleep 0.1
done

export FACET_JANUS_URL=$url FACET_JANUS_ADDRESS=$janus_address
export FACET_PEER_ADDRESS=$peer_address FACET_JANUS_ROOM=$room FACET_JANUS_LOG=$log_file
export FACET_JANUS_PID=$janus_pid
# In the background so that a signal reaches the trap at once (it is passed
# on to the command); stdin stays the caller's, as in the foreground.
"$@" 0<&0 &
command_pid=$!
status=0
wait "$command_pid" || status=$?
command_pid=
if ! kill -0 "$janus_pid" 2>/dev/null; then
    echo "$me: Janus had exited before the command ended" >&2
    print_log_tail
    [ "$status" -ne 0 ] || status=1
fi
exit "$status"
