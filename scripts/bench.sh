#!/usr/bin/env bash
# Measures the numbers BENCHMARKS.md reports for the console itself:
#   - render time of the fleet view (criterion, 1 000 models at 200x60)
#   - time to first frame, redraws per minute when idle, idle CPU, RSS
#     (the release binary in a real terminal: tmux)
#
#   scripts/bench.sh            # everything (about 4 minutes)
#   scripts/bench.sh --quick    # 15 s windows instead of 60 s, no criterion
set -euo pipefail
cd "$(dirname "$0")/.."

window=60
run_criterion=1
if [ "${1:-}" = "--quick" ]; then window=15; run_criterion=0; fi

if ! command -v tmux >/dev/null 2>&1; then
    echo "installing tmux (needed to run the console in a real terminal)"
    apt-get install -y --no-install-recommends tmux >/dev/null
fi

cargo build --release --locked --quiet
bin="$PWD/target/release/vigil"
work="$(mktemp -d)"
trap 'tmux kill-server -L vigil-bench 2>/dev/null || true; rm -rf "$work"' EXIT
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
log="$work/state/vigil/vigil.log"
clk_tck=$(getconf CLK_TCK)

# Starts the console in a detached 200x60 tmux session and prints its pid.
start() {
    rm -f "$log"
    tmux -L vigil-bench new-session -d -s bench -x 200 -y 60 "$bin $*"
    local pid=""
    for _ in $(seq 100); do
        pid=$(pgrep -n -f "^$bin" || true)
        [ -n "$pid" ] && break
        sleep 0.05
    done
    echo "$pid"
}
stop() {
    tmux -L vigil-bench send-keys -t bench q
    for _ in $(seq 100); do tmux -L vigil-bench has-session -t bench 2>/dev/null || return 0; sleep 0.05; done
    tmux -L vigil-bench kill-server
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" "$log" | tail -1; }

echo "## time to first frame (demo, 12 models), 7 runs"
firsts=()
for _ in $(seq 7); do
    start demo >/dev/null
    sleep 1.5
    stop
    firsts+=("$(sed -n 's/.*first frame with data ms=\([0-9.]*\).*/\1/p' "$log" | tail -1)")
done
printf '%s\n' "${firsts[@]}" | sort -n | awk '{a[NR]=$1} END {printf "first frame with data: median %.1f ms (min %.1f, max %.1f)\n", a[int((NR+1)/2)], a[1], a[NR]}'

echo "## idle: vigil demo --at -1h (pinned instant: nothing changes), ${window}s"
pid=$(start demo --at -1h)
sleep 3
before=$(cpu_ticks "$pid"); frames_before=0
sleep "$window"
after=$(cpu_ticks "$pid")
stop
frames=$(field frames)
echo "frames over the whole session (start-up frames included): $frames"
awk -v t="$((after - before))" -v hz="$clk_tck" -v w="$window" 'BEGIN {printf "CPU while idle: %.2f %% of one core\n", 100 * t / hz / w}'

echo "## live calm demo (data refreshes every 15 s), ${window}s"
pid=$(start demo --scenario calm)
sleep 3
before=$(cpu_ticks "$pid")
sleep "$window"
after=$(cpu_ticks "$pid")
stop
echo "frames: $(field frames), feed updates: $(field feed_updates), runtime $(field runtime_s) s"
awk -v t="$((after - before))" -v hz="$clk_tck" -v w="$window" 'BEGIN {printf "CPU: %.2f %% of one core\n", 100 * t / hz / w}'

echo "## memory with 1 000 models"
pid=$(start demo --models 1000)
sleep 5
grep -E 'VmRSS|VmHWM' "/proc/$pid/status"
stop

if [ "$run_criterion" = 1 ]; then
    echo "## criterion: cargo bench --bench render"
    cargo bench --locked --bench render 2>&1 | grep -E '^(fleet|apply)|time:'
fi
