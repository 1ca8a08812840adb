#!/usr/bin/env bash
# Checks the Windows build on Debian, without Windows:
#   1. lints every target (lib, bins, tests, benches) for x86_64-pc-windows-gnu with warnings as errors (Debian's clippy);
#   2. builds the release netassist.exe (Debian's rustc with its std source, mingw-w64 to link);
#   3. runs the Windows command-line suite against it under Wine (cli_suite.py);
#   4. opens the window under Xvfb with each renderer, and in Chinese, and with no renderer able to
#      start (the message box), saving a screenshot of each and failing when a window is missing or blank;
#      closes it as a user does and finds its settings under %APPDATA%, or beside it in portable mode;
#   5. checks the exe's PE header: GUI subsystem, icon and version resources (pe_check.py).
# Usage: packaging/windows/check-under-wine.sh [OUT_DIR]   (screenshots and reports; default
# target/windows-check). Exit code: the number of failed checks (0: all passed).
#
# Wine runs in a throwaway prefix made here and deleted at the end; a user's own prefix is never touched.
# The Windows target gets its own target dir (target/windows-gnu), built by another compiler than the
# native one, so nothing of the native build is shared or goes stale.
#
# What Wine cannot show: Windows Firewall, real Direct3D 12 and WARP, the MSVC toolchain of the Windows
# workflow, and Windows' own timer (Wine's timing is Linux's).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
out=$(realpath -m "${1:-target/windows-check}")
mkdir -p "$out"
target=x86_64-pc-windows-gnu
export CARGO_TARGET_DIR=$root/target/windows-gnu
exe=$CARGO_TARGET_DIR/$target/release/netassist.exe
started=$SECONDS
failed=0
summary=$out/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
check() { # check NAME COMMAND...: runs it, notes PASS or FAIL
  local name=$1; shift
  if "$@"; then note "PASS $name"; else note "FAIL $name"; failed=$((failed + 1)); fi
}

# --- What it needs: Debian's Rust 1.96 with its std source and clippy, mingw-w64, Wine, Xvfb. ---
packages=(rustc-web rust-web-src rust-web-clippy gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 wine64
  libvkd3d1 xvfb xdotool imagemagick fonts-wqy-microhei mesa-vulkan-drivers python3)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
python3 -c 'import pefile' 2>/dev/null || python3 -m pip install --quiet --disable-pip-version-check pefile

# rustup's cargo drives Debian's rustc; -Zbuild-std builds std for the target from rust-web-src, which
# RUSTC_BOOTSTRAP allows on a stable compiler.
export RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1
export CARGO_TARGET_X86_64_PC_WINDOWS_GNU_LINKER=x86_64-w64-mingw32-gcc
build_std=(-Zbuild-std=std,panic_unwind --target "$target" --locked)

# --- 1. Lint. clippy-driver reads its own arguments from CLIPPY_ARGS, as `cargo clippy -- -D warnings`
# would pass them. ---
lint() {
  RUSTC_WORKSPACE_WRAPPER=/usr/bin/clippy-driver CLIPPY_ARGS=-Dwarnings \
    cargo check "${build_std[@]}" --all-targets 2>&1 | tee "$out/lint.log" | grep -E '^(warning|error)' -A6 || true
  ! grep -qE '^(warning|error)' "$out/lint.log"
}
check "lint for $target (warnings are errors)" lint

# --- 2. Build. ---
build() { cargo build "${build_std[@]}" --release --bin netassist >"$out/build.log" 2>&1 || { tail -30 "$out/build.log"; false; }; }
check "build netassist.exe" build
if [ ! -f "$exe" ]; then
  note "no exe: the remaining checks cannot run"
  exit $((failed + 1))
fi
note "exe: $(du -h "$exe" | cut -f1)"

# --- A throwaway Wine prefix. ---
scratch=$(mktemp -d)
export WINEPREFIX=$scratch/prefix WINEARCH=win64 WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
# Ends every Wine process and waits until the wineserver is gone: a program started while the old one is
# still shutting down does not start at all.
stop_wine() { wineserver -k 2>/dev/null || true; timeout 60 wineserver -w 2>/dev/null || true; }
# Xvfb's process ids, one a line: start_xvfb runs in a command substitution (a subshell), so a shell
# variable would not outlive it.
xvfb_pids=$scratch/xvfb.pids
cleanup() {
  stop_wine
  [ -f "$xvfb_pids" ] && while read -r pid; do kill "$pid" 2>/dev/null || true; done <"$xvfb_pids"
  rm -rf "$scratch"
}
trap cleanup EXIT
timeout 300 wineboot -i >"$out/wineboot.log" 2>&1
timeout 120 wineserver -w
# Rust's std takes its random numbers from bcryptprimitives.dll's ProcessPrng, which Wine 8 lacks.
x86_64-w64-mingw32-gcc -O2 -shared -o "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll" \
  packaging/windows/wine/bcryptprimitives.c -ladvapi32
# A Chinese font where Windows keeps Microsoft YaHei, under its file name.
cp /usr/share/fonts/truetype/wqy/wqy-microhei.ttc "$WINEPREFIX/drive_c/windows/Fonts/msyh.ttc"

# Windows Firewall as a lab PC has it after a user answered the first-listen prompt for netassist.exe with
# Cancel: on, and a block rule for the program (TCP, Public profile). The doctor must find and name it.
firewall='HKLM\SYSTEM\CurrentControlSet\Services\SharedAccess\Parameters\FirewallPolicy'
export FIREWALL_BLOCK_RULE=netassist.exe
firewall_fixture() {
  timeout 60 wine reg add "$firewall\\PublicProfile" /v EnableFirewall /t REG_DWORD /d 1 /f &&
    timeout 60 wine reg add "$firewall\\FirewallRules" /v '{6e1f3c1a-netassist-block}' /t REG_SZ /f /d \
      "v2.30|Action=Block|Active=TRUE|Dir=In|Protocol=6|Profile=Public|App=$(winepath -w "$exe")|Name=$FIREWALL_BLOCK_RULE|"
}
firewall_fixture >"$out/firewall-fixture.log" 2>&1 || note "firewall fixture not written (see firewall-fixture.log)"

# --- 3. The command line under Wine. ---
check "command-line suite under Wine" python3 packaging/windows/cli_suite.py "$out/cli.json" wine "$exe"
# Nothing of the command line may outlive it: a Wine process still running (the doctor's PowerShell, say)
# keeps the wineserver of a session without a display, and the next window would join it and never show.
stop_wine

# --- 4. The window under Xvfb. ---
# An X display nobody uses, WIDTHxHEIGHT, and more Xvfb arguments; prints the display.
start_xvfb() {
  local n=100
  while [ -e "/tmp/.X11-unix/X$n" ] || [ -e "/tmp/.X$n-lock" ]; do n=$((n + 1)); done
  Xvfb ":$n" -screen 0 "$1x24" "${@:2}" >/dev/null 2>&1 &
  echo $! >>"$xvfb_pids"
  for _ in $(seq 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
  echo ":$n"
}
export XDG_RUNTIME_DIR=${XDG_RUNTIME_DIR:-$scratch}
# Waits up to $2 seconds for the file $1 to contain the regex $3.
wait_for_line() {
  local deadline=$((SECONDS + $2))
  until grep -qE "$3" "$1" 2>/dev/null; do [ $SECONDS -ge $deadline ] && return 1; sleep 0.2; done
}
# The number of colours on the screen: a drawn window has hundreds (anti-aliased text), a blank one a few.
colours() { import -display "$1" -window root "$2" 2>/dev/null && convert "$2" -format %k info: || echo 0; }
# window NAME DISPLAY WANT [ENV...]: starts the window with ENV, waits for the renderer's line on stderr and
# a drawn frame, saves NAME.png, and checks that the renderer which drew is WANT (any: either one; none:
# that neither could start and the message box is up).
window() {
  local name=$1 display=$2 want=$3; shift 3
  local log=$out/$name.log shot=$out/$name.png
  env DISPLAY="$display" "$@" wine "$exe" >"$log" 2>&1 &
  # stop_wine ends it below; disowned, the shell does not report the kill.
  disown $!
  local ok=0 drawn=0
  if [ "$want" = none ]; then
    # Both renderers fail, then the message box, a window of its own titled as the app, comes up.
    if wait_for_line "$log" 90 "glow renderer could not start" && wait_for_line "$log" 5 "wgpu renderer could not start"; then
      for _ in $(seq 100); do
        DISPLAY=$display xdotool search --name NetAssist >/dev/null 2>&1 && { ok=1; break; }
        sleep 0.2
      done
    fi
  else
    wait_for_line "$log" 90 "window is drawn with" && grep -qE "window is drawn with ${want/any/[a-z]+}" "$log" && ok=1
  fi
  for _ in $(seq 100); do
    [ "$(colours "$display" "$shot")" -ge 64 ] && { drawn=1; break; }
    sleep 0.2
  done
  note "    $name: $(grep -hoE 'drawn with [a-z]+|could not start|Chinese is drawn with .*' "$log" | sort -u | tr '\n' ';') $(colours "$display" "$shot") colours"
  stop_wine
  [ $ok = 1 ] && [ $drawn = 1 ]
}
screen=$(start_xvfb 1280x800)
check "window drawn with glow" window glow "$screen" glow NETASSIST_RENDERER=glow
# wgpu on Direct3D 12, as on Windows. Wine 8's Direct3D 12 (vkd3d 1.2) cannot make wgpu's device ("Parent
# device is lost"), so there the window falls back to glow, as on a PC without a working driver; the
# summary says which one drew.
check "window asked for wgpu on Direct3D 12 (or the fallback)" window wgpu-d3d12 "$screen" any NETASSIST_RENDERER=wgpu WGPU_BACKEND=dx12
check "window drawn with wgpu (Vulkan)" window wgpu-vulkan "$screen" wgpu NETASSIST_RENDERER=wgpu WGPU_BACKEND=vulkan
chinese() { window chinese "$screen" glow NETASSIST_RENDERER=glow LANG=zh_CN.UTF-8 LC_ALL=zh_CN.UTF-8 && grep -q 'Chinese is drawn with .*msyh.ttc' "$out/chinese.log"; }
check "window in Chinese with msyh.ttc from the Windows fonts folder" chinese
# No GLX for OpenGL, and no Direct3D 12 or Vulkan: nothing can draw, and a message box says why.
bare=$(start_xvfb 1024x768 -extension GLX)
check "no renderer: the message box says why" window no-renderer "$bare" none WINEDLLOVERRIDES="$WINEDLLOVERRIDES;d3d12,vulkan-1,winevulkan=d"

# Where the window keeps its settings: closed with Alt+F4 as a user would, it writes them to %APPDATA%, or
# beside the exe when a `portable` marker is there.
# settings_kept NAME MARKER FILE: copies the exe to C:\NetAssist (with the marker file MARKER unless it is
# -), opens and closes the window, and checks that FILE (a Unix path in the prefix) was written.
settings_kept() {
  local name=$1 marker=$2 file=$3 dir=$WINEPREFIX/drive_c/NetAssist log=$out/$1.log
  rm -rf "$dir" "$WINEPREFIX/drive_c/users/"*/AppData/Roaming/netassist
  mkdir -p "$dir" && cp "$exe" "$dir/"
  [ "$marker" = - ] || touch "$dir/$marker"
  env DISPLAY="$screen" NETASSIST_RENDERER=glow wine 'C:\NetAssist\netassist.exe' >"$log" 2>&1 &
  local app=$! wid=""
  disown "$app"
  wait_for_line "$log" 90 "window is drawn with" || return 1
  for _ in $(seq 100); do
    wid=$(DISPLAY=$screen xdotool search --onlyvisible --name NetAssist 2>/dev/null | head -1)
    [ -n "$wid" ] && break
    sleep 0.2
  done
  DISPLAY=$screen xdotool windowfocus "$wid" key alt+F4
  for _ in $(seq 100); do kill -0 "$app" 2>/dev/null || break; sleep 0.2; done
  # shellcheck disable=SC2086 # the user folder's name is Wine's choice: a glob finds it
  local kept=1
  ls $file >/dev/null 2>&1 || kept=0
  stop_wine
  [ $kept = 1 ]
}
check "settings under %APPDATA%" settings_kept settings-appdata - "$WINEPREFIX/drive_c/users/*/AppData/Roaming/netassist/data/app.ron"
check "portable mode: settings beside the exe" settings_kept settings-portable portable "$WINEPREFIX/drive_c/NetAssist/netassist-settings.ron"

# --- 5. The PE header. ---
check "PE header" python3 packaging/windows/pe_check.py "$exe"

note "took $((SECONDS - started)) s; $failed failed; screenshots and logs in $out"
exit "$failed"
