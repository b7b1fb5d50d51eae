#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
# How far one machine carries a Facet meeting through Janus: the CPU of
# Janus and of each facet-room, the rates and the frames shown, measured
# with real components in a private Janus (janus/janus-netns.sh). Two runs:
#
#   4 publishers   each sends 256x256 at 15 fps, --bitrate 12, Opus audio,
#                  and subscribes to the 3 others
#   4 + 8          the same 4 publishers and 8 --receive-only participants,
#                  each subscribed to the 4 publishers
#
# Every participant decodes every feed it receives with the Facet network
# (headless: counted, not shown; on the CPU: no Vulkan driver is offered,
# as in the tests). Each run waits until every participant
# shows every publisher (a deadline turns a hang into a warning), then
# measures a window of SECONDS and prints a markdown table, one row per
# process:
#
#   shown        frames shown / frames sent by the feed's publisher, over
#                the window (rates from each stats file's own clock): the
#                worst feed and the mean of the feeds
#   facet        of the frames shown, the share the Facet decoder rendered
#                (the rest: the plain VP8 upscale)
#   sent         VP8 bytes + data-channel message bytes sent, kbit/s (Opus
#                audio, 16 kbit/s + RTP/SRTP, is not in the stats' bytes)
#   received     VP8 bytes received, all feeds, kbit/s (messages: not
#                counted by bytes; audio: packets only)
#   CPU          utime + stime from /proc/PID/stat over the window, % of
#                one core (janus: all its threads)
#   CPU ms / frame shown   the process's CPU time over the frames it
#                showed: what one decoded frame costs (publishers: their
#                encoder's share included)
#
# and below it the load average, the whole machine's busy share of its
# cores (/proc/stat) and the bytes through the namespace's loopback (all
# media, both directions, and the Janus API).
#
#   measure_room.sh FACET_ROOM MODEL [SECONDS]     (default 30)
#
# The publishers send a talking-head clip when ffmpeg and
# /usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
# (Debian's forensics-samples-files) are there: its webcam corner, cropped
# and looped with ffmpeg; else facet-room's test picture (--test-source).
# ROOM_RECEIVERS (default 8) sets the number of --receive-only
# participants of the second run. Not run by ctest: it takes minutes and
# its numbers depend on the machine and on what else runs on it.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/../../tests/lib/script_common.sh
. "$here/../../tests/lib/script_common.sh"

if [ "${FACET_ROOM_MEASURE_INSIDE:-}" != 1 ]; then
    [ $# -eq 2 ] || [ $# -eq 3 ] ||
        { echo "usage: $0 FACET_ROOM MODEL [SECONDS]" >&2; exit 2; }
    command -v python3 >/dev/null || { echo "$0: python3 reads the stats" >&2; exit 1; }
    export FACET_ROOM_MEASURE_INSIDE=1
    exec "$here/janus/janus-netns.sh" -- "$0" "$@"
fi

facet_room=$1
model=$2
seconds=${3:-30}
receivers=${ROOM_RECEIVERS:-8}
publishers=4
size=256
fps=15
url=${FACET_JANUS_URL:?janus-netns.sh sets it}
room=${FACET_JANUS_ROOM:-1234}
janus_pid=${FACET_JANUS_PID:?janus-netns.sh sets it}
# How long a run may take to have everyone show everyone.
setup_limit=${ROOM_SETUP_LIMIT:-120}

# The inside of the namespace owns the folder and the processes.
script_workdir
trap 'exit 130' INT TERM

# The source: the clip's webcam corner (the face), 256x256, looped to
# outlast a run, or the test picture.
sample=/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4
source_args=(--test-source)
source_name="facet-room's test picture (--test-source)"
if command -v ffmpeg >/dev/null && [ -f "$sample" ]; then
    clip=$work/clip.mkv
    if ffmpeg -nostdin -v error -stream_loop -1 -i "$sample" -an \
              -vf "crop=190:190:146:82,scale=$size:$size,fps=$fps" \
              -t $((seconds + setup_limit + 60)) -c:v libx264 -preset ultrafast -crf 16 \
              -y "$clip"; then
        source_args=(--input "$clip")
        source_name="the webcam corner of $(basename "$sample"), looped"
    fi
fi

# The network on the CPU, as in the tests: no Vulkan driver is offered
# (a machine without a GPU would otherwise get lavapipe, a CPU too).
export VK_ICD_FILENAMES=/nonexistent/facet-room-measure
export VK_DRIVER_FILES=/nonexistent/facet-room-measure

# The registry once, not by every participant at once.
gst-inspect-1.0 webrtcbin >/dev/null 2>&1 || true

common=(--janus "$url" --room "$room" --mode latent --headless --model "$model"
        --width "$size" --height "$size" --fps "$fps"
        --duration $((seconds + setup_limit + 60)))

cat >"$work/measure.py" <<'PY'
# measure.py RUN SECONDS SETUP_LIMIT JANUS_PID NAME:ROLE:PID:STATS...
import json, os, sys, time

run, seconds, setup_limit, janus_pid = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
clients = []
for arg in sys.argv[5:]:
    name, role, pid, path = arg.split(":", 3)
    clients.append({"name": name, "role": role, "pid": pid, "path": path})
publishers = [c["name"] for c in clients if c["role"] == "publisher"]
tick = os.sysconf("SC_CLK_TCK")

def stats(c):
    try:
        with open(c["path"]) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None

def cpu(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    except (OSError, IndexError, ValueError):
        return None

def machine():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + v[4]
    return sum(v) - idle, sum(v)

def loopback():
    # /proc/net/dev is this network namespace's (sysfs may be the host's).
    try:
        with open("/proc/net/dev") as f:
            for line in f:
                name, _, rest = line.partition(":")
                if name.strip() == "lo":
                    return int(rest.split()[0])
    except (OSError, IndexError, ValueError):
        pass
    return None

def shown(s, name):
    found = [f for f in s["feeds"] if f["display"] == name and f["active"]]
    return found[-1]["frames_shown"] if found else 0

def missing(c, s):
    if s is None:
        return ["(no stats yet)"]
    return [p for p in publishers if p != c["name"] and shown(s, p) == 0]

# 1. Everyone shows every publisher.
t0 = time.monotonic()
while True:
    waiting = {c["name"]: missing(c, stats(c)) for c in clients}
    waiting = {k: v for k, v in waiting.items() if v}
    if not waiting:
        print(f"{run}: everyone shows every publisher after {time.monotonic() - t0:.0f} s",
              file=sys.stderr)
        break
    if time.monotonic() - t0 > setup_limit:
        print(f"{run}: WARNING: after {setup_limit:.0f} s still missing: {waiting}; "
              "measuring anyway", file=sys.stderr)
        break
    for c in clients:
        if cpu(c["pid"]) is None:
            sys.exit(f"{run}: {c['name']} exited during the setup")
    time.sleep(0.5)

def snapshot():
    return {
        "wall": time.monotonic(),
        "stats": {c["name"]: stats(c) for c in clients},
        "cpu": {c["name"]: cpu(c["pid"]) for c in clients},
        "janus": cpu(janus_pid),
        "machine": machine(),
        "lo": loopback(),
    }

a = snapshot()
load_begin = open("/proc/loadavg").read().split()[:3]
# 2. The window: until every stats file says SECONDS more have passed.
deadline = time.monotonic() + seconds + 30
while True:
    now = {c["name"]: stats(c) for c in clients}
    if all(now[n] and a["stats"][n] and now[n]["elapsed_s"] >= a["stats"][n]["elapsed_s"] + seconds
           for n in now):
        break
    if time.monotonic() > deadline:
        sys.exit(f"{run}: the stats files stopped coming within {seconds + 30:.0f} s")
    for c in clients:
        if cpu(c["pid"]) is None:
            sys.exit(f"{run}: {c['name']} exited during the window")
    time.sleep(0.2)
b = snapshot()
load_end = open("/proc/loadavg").read().split()[:3]
wall = b["wall"] - a["wall"]

def dt(n):
    return b["stats"][n]["elapsed_s"] - a["stats"][n]["elapsed_s"]

def pub(n, key):
    return b["stats"][n]["publisher"][key] - a["stats"][n]["publisher"][key]

def feed_delta(n, p, key):
    def get(s):
        found = [f for f in s["feeds"] if f["display"] == p and f["active"]]
        return found[-1][key] if found else 0
    return get(b["stats"][n]) - get(a["stats"][n])

def pct(x):
    return f"{100 * x:.0f} %"

print(f"\n### {run}\n")
print("| client | feeds | shown, worst feed | shown, mean | facet | sent kbit/s | received kbit/s "
      "| CPU | CPU ms / frame shown |")
print("|---|---|---|---|---|---|---|---|---|")
cpus = []
for c in clients:
    n = c["name"]
    ratios, facet, total_shown, rx = [], 0, 0, 0
    for p in publishers:
        if p == n:
            continue
        sent_rate = pub(p, "frames_sent") / dt(p)
        s = feed_delta(n, p, "frames_shown")
        ratios.append((s / dt(n)) / sent_rate if sent_rate else 0)
        facet += feed_delta(n, p, "frames_facet")
        total_shown += s
        rx += feed_delta(n, p, "vp8_bytes")
    sent = (pub(n, "vp8_bytes_sent") + pub(n, "message_bytes_sent")) * 8 / dt(n) / 1000
    c_cpu = (b["cpu"][n] - a["cpu"][n]) / wall
    cpus.append(c_cpu)
    role = "" if c["role"] == "publisher" else " (receive-only)"
    print(f"| {n}{role} | {len(ratios)} | {pct(min(ratios))} | {pct(sum(ratios) / len(ratios))} "
          f"| {pct(facet / total_shown) if total_shown else '-'} "
          f"| {sent:.1f} | {rx * 8 / dt(n) / 1000:.1f} | {pct(c_cpu)} "
          f"| {1000 * c_cpu * wall / total_shown if total_shown else 0:.0f} |")
janus = (b["janus"] - a["janus"]) / wall if a["janus"] is not None and b["janus"] is not None else None
print(f"| janus | | | | | | | {pct(janus) if janus is not None else '?'} | |")
busy = (b["machine"][0] - a["machine"][0]) / (b["machine"][1] - a["machine"][1])
cores = os.cpu_count()
print(f"\nWindow {wall:.1f} s. facet-room CPU: {pct(sum(cpus))} of one core in all, "
      f"{pct(sum(cpus) / len(cpus))} each on average; Janus {pct(janus) if janus is not None else '?'}. "
      f"Machine: {cores} cores, {pct(busy)} busy ({pct(busy * cores)} of one core) by everything on it; "
      f"load average {' '.join(load_begin)} at the start, {' '.join(load_end)} at the end.", end="")
if a["lo"] is not None and b["lo"] is not None:
    print(f" Loopback of the namespace (all media both ways + the API): "
          f"{(b['lo'] - a['lo']) * 8 / wall / 1000:.0f} kbit/s.")
else:
    print()
PY

# run TITLE NRECEIVERS: one run, its table on stdout; every participant
# leaves on SIGTERM afterwards and must exit 0.
run() {
    local title=$1 nrecv=$2 names=() specs=() i name pid status
    rm -f "$work"/*.json
    for i in $(seq 1 $publishers); do
        name=pub$i
        "$facet_room" "${common[@]}" --name "$name" --bitrate 12 "${source_args[@]}" \
            --stats-json "$work/$name.json" >"$work/$name.log" 2>&1 &
        script_track_pid $!
        names+=("$name:$!")
        specs+=("$name:publisher:$!:$work/$name.json")
    done
    for i in $(seq 1 "$nrecv"); do
        name=recv$i
        "$facet_room" "${common[@]}" --name "$name" --receive-only \
            --stats-json "$work/$name.json" >"$work/$name.log" 2>&1 &
        script_track_pid $!
        names+=("$name:$!")
        specs+=("$name:receiver:$!:$work/$name.json")
    done
    status=0
    python3 "$work/measure.py" "$title" "$seconds" "$setup_limit" "$janus_pid" "${specs[@]}" ||
        status=$?
    for spec in "${names[@]}"; do kill -TERM "${spec#*:}" 2>/dev/null || true; done
    for spec in "${names[@]}"; do
        pid=${spec#*:}
        local rc=0
        wait "$pid" || rc=$?
        if [ $rc -ne 0 ]; then
            echo "${spec%%:*} exited with $rc; the end of its log:" >&2
            tail -n 15 "$work/${spec%%:*}.log" >&2
            status=1
        fi
    done
    script_untrack_pids
    return $status
}

echo "Source: $source_name; ${size}x$size, $fps fps, --bitrate 12; window $seconds s."
echo "Janus: $( (janus --version 2>/dev/null || true) | head -n 1)"
status=0
run "$publishers publishers" 0 || status=1
run "$publishers publishers + $receivers --receive-only" "$receivers" || status=1
exit $status
