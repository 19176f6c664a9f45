#!/usr/bin/env bash
# Measures the console against a real Prometheus holding 24 h of history for
# 500 models (issue 3's numbers in BENCHMARKS.md):
#   - HTTP requests per fleet refresh, and the refresh's wall time against
#     the slowest single query it issues (benches/fleet_refresh.rs)
#   - HTTP requests and wall time of one SLO evaluation for 200 SLOs
#     (benches/slo_refresh.rs)
#   - the console's peak RSS while it shows that fleet (tmux, 200x60)
#
#   scripts/bench-prometheus.sh      # about 3 minutes; ~1.5 GB of scratch space
set -euo pipefail
cd "$(dirname "$0")/.."

for bin in prometheus promtool tmux; do
    command -v "$bin" >/dev/null 2>&1 || { echo "needs $bin: apt-get install -y prometheus tmux" >&2; exit 1; }
done

cargo build --release --locked --quiet
bin="$PWD/target/release/vigil"
work="$(mktemp -d)"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
end="2026-11-23T00:00:00Z"
cleanup() {
    tmux -L vigil-bench kill-server 2>/dev/null || true
    [ -n "${prom_pid:-}" ] && kill "$prom_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

echo "## 24 h of bad-deploy history for 500 models, one sample a minute"
"$bin" lab backfill --scenario bad-deploy --models 500 --hours 24 --step 60s --no-features --end "$end" --out "$work/history.om"
mkdir -p "$work/data"
/usr/bin/time -f "promtool: %e s, %M KB peak" promtool tsdb create-blocks-from openmetrics "$work/history.om" "$work/data" >/dev/null
rm "$work/history.om"
printf 'global:\n  scrape_interval: 15s\nscrape_configs: []\n' > "$work/prometheus.yml"
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/data" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=3650d >"$work/prometheus.log" 2>&1 &
prom_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done

echo "## fleet refresh (benches/fleet_refresh.rs)"
VIGIL_BENCH_PROMETHEUS="http://127.0.0.1:$port" VIGIL_BENCH_AT="$end" cargo bench --locked --quiet --bench fleet_refresh

echo "## SLO evaluation, 200 SLOs (benches/slo_refresh.rs)"
VIGIL_BENCH_PROMETHEUS="http://127.0.0.1:$port" VIGIL_BENCH_AT="$end" cargo bench --locked --quiet --bench slo_refresh

echo "## console RSS showing the 500-model fleet, 30 s"
printf '[contexts.bench]\nprometheus = { url = "http://127.0.0.1:%s" }\nrefresh = "5s"\n' "$port" > "$work/config.toml"
export XDG_STATE_HOME="$work/state" XDG_CONFIG_HOME="$work/config"
tmux -L vigil-bench new-session -d -s bench -x 200 -y 60 "$bin --config $work/config.toml --at $end"
sleep 1
pid=$(pgrep -n -f "^$bin --config") || { echo "the console did not start" >&2; exit 1; }
# Move through the views that hold the most data: fleet, a model over 24 h, alerts.
tmux -L vigil-bench send-keys -t bench Enter
sleep 5
tmux -L vigil-bench send-keys -t bench ']' ']'
sleep 10
tmux -L vigil-bench send-keys -t bench ':' 'alerts' Enter
sleep 15
grep -E 'VmHWM|VmRSS' "/proc/$pid/status"
tmux -L vigil-bench send-keys -t bench q
