#!/usr/bin/env bash
# Measures the shipped binary in a virtual X display (Xvfb): time from start to the first frame, resident
# memory (RSS) when idle, and CPU use when idle, once per renderer (glow, then wgpu).
#
# Usage: packaging/measure.sh [BINARY]      (default: target/dist/netassist, as shipped; RUNS=5 starts per renderer)
# Needs Xvfb and xdotool (Debian: apt-get install xvfb xdotool).
#
# "First frame" is the moment the window becomes visible: eframe keeps the window hidden until it has
# painted the first frame, then shows it. The window is polled for every few milliseconds, so a figure can
# be late by one poll. Each start uses an empty settings folder, as on a PC that never ran the app; the
# binary is in the file cache after the first run, so that run is shown apart.
set -euo pipefail
cd "$(dirname "$0")/.."
binary=${1:-target/dist/netassist}
runs=${RUNS:-5}
[ -x "$binary" ] || { echo "no binary at $binary: run 'cargo build --profile dist' first" >&2; exit 1; }
for tool in Xvfb xdotool; do
  command -v "$tool" >/dev/null || { echo "$tool is missing (Debian: apt-get install xvfb xdotool)" >&2; exit 1; }
done

# A display number nobody uses, so the window found below is this run's own.
number=$((200 + RANDOM % 100))
while [ -e "/tmp/.X$number-lock" ]; do number=$((number + 1)); done
display=":$number"
# -noreset: without it the server resets whenever its last client leaves, refusing the next one meanwhile.
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp -noreset >/dev/null 2>&1 &
xvfb=$!
scratch=$(mktemp -d)
app=""
cleanup() {
  if [ -n "$app" ]; then kill "$app" 2>/dev/null || true; fi
  kill "$xvfb" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT
export DISPLAY=$display
for _ in $(seq 50); do xdotool getdisplaygeometry >/dev/null 2>&1 && break; sleep 0.1; done
xdotool getdisplaygeometry >/dev/null 2>&1 || { echo "Xvfb did not start on $display" >&2; exit 1; }

ticks=$(getconf CLK_TCK)
# utime + stime of a process, in clock ticks (fields 14 and 15 of /proc/PID/stat; the name in field 2 has
# no spaces here).
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "binary: $binary ($(stat -c %s "$binary") bytes)"
for renderer in glow wgpu; do
  starts=()
  for run in $(seq 1 "$runs"); do
    rm -rf "$scratch/data" && mkdir -p "$scratch/data"
    begin=$(date +%s%N)
    XDG_DATA_HOME=$scratch/data NETASSIST_RENDERER=$renderer "$binary" >"$scratch/log" 2>&1 &
    app=$!
    until xdotool search --onlyvisible --pid "$app" >/dev/null 2>&1; do
      kill -0 "$app" 2>/dev/null || { echo "$renderer: the app exited; its output:" >&2; cat "$scratch/log" >&2; exit 1; }
      sleep 0.002
    done
    starts+=($(( ($(date +%s%N) - begin) / 1000000 )))
    if [ "$run" -eq "$runs" ]; then
      # Idle: nothing happens on the network and nobody touches the window.
      sleep 3
      rss_kib=$(awk '/^VmRSS/ { print $2 }' "/proc/$app/status")
      before=$(cpu_ticks "$app")
      sleep 10
      after=$(cpu_ticks "$app")
      # Which graphics driver the renderer really loaded (the app falls back to the other renderer).
      drivers=$(grep -oE '(libvulkan_[a-z]+|[a-z0-9]+_dri|libEGL_mesa|libGLX_mesa)\.so' "/proc/$app/maps" | sort -u | tr '\n' ' ')
    fi
    kill "$app" 2>/dev/null; wait "$app" 2>/dev/null || true
    app=""
  done
  rest=$(printf '%s\n' "${starts[@]:1}" | median)
  echo "$renderer: first frame ${starts[0]} ms on the first start, then median $rest ms (all: ${starts[*]} ms)"
  echo "$renderer: idle RSS $((rss_kib / 1024)) MiB; idle CPU $(awk -v used=$((after - before)) -v hz="$ticks" 'BEGIN { printf "%.1f", used / hz / 10 * 100 }')% over 10 s; drivers: $drivers"
done
