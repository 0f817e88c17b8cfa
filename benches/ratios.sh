#!/usr/bin/env bash
# Runs the benchmarks once, one after the other, and prints one table: each figure beside
# the floor it is measured against in the same run, their ratio, and the ratio it must not
# fall below. The machines' speed moves from day to day; the ratios, not the absolute
# figures, say whether a change made the code slower.
#
# Run from anywhere: benches/ratios.sh (CARGO_TARGET_DIR is honoured). The table is printed
# as Markdown at the end, and kept in target/ratios.md.
set -euo pipefail

cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
mkdir -p "$target"
out="$target/ratios.md"
service_log="$target/ratios-service.log"
# Criterion's results older than this run are not read.
stamp="$target/ratios.stamp"
touch "$stamp"

cargo bench --bench engine -- '^engine/'
cargo bench --bench telegram
cargo bench --bench matcher -- '^(ask|fold)/'
cargo bench --bench service | tee "$service_log"

# Criterion's estimate of one iteration of benchmark `$1`, in nanoseconds, from this run:
# the slope where it sampled linearly (what it prints), else the mean.
mean_ns() {
    local found
    found=$(find "$target/criterion" -path '*/new/benchmark.json' -newer "$stamp" \
        -exec jq -r --arg id "$1" 'select(.full_id == $id) | input_filename' {} +)
    if [ -z "$found" ]; then
        echo "no result of $1 in this run" >&2
        exit 1
    fi
    jq -r '(.slope // .mean).point_estimate' "$(dirname "$found")/estimates.json"
}

# Elements per second of benchmark `$1`, whose iteration is `$2` elements.
rate() {
    awk -v ns="$(mean_ns "$1")" -v n="$2" 'BEGIN { printf "%.0f", n * 1e9 / ns }'
}

# The rate printed by the service benchmark for database `$1`, figure `$2`, `$3` callers.
service_rate() {
    awk -v db="$1" -v what="$2" -v callers="$3" '
        $1 == db && index($0, what) && $(NF - 2) == callers { sub("/s", "", $NF); print $NF }
    ' "$service_log"
}

rows=()
# A row: figure, measured, floor, unit, target ratio. The ratio is the figure's rate over
# the floor's, so that a slower figure lowers it. The targets are those of issue 19 (the
# engine at 70% of the store's floor) or a little under the ratios first measured, which
# vary by about a tenth from run to run on a shared machine.
row() {
    rows+=("$1|$2|$3|$4|$5")
}

for n in 1 16 64; do
    row "engine, $n in flight: messages/s beside the store alone" \
        "$(rate "engine/sqlite_in_flight_$n" 1000)" \
        "$(rate "engine/store_floor_in_flight_$n" 1000)" rate 0.70
done
for n in 1 16 64; do
    row "engine in memory, $n in flight: messages/s, its own work (no floor)" \
        "$(rate "engine/in_memory_in_flight_$n" 1000)" "" rate ""
done
row "telegram: updates/s beside the server's round trips/s" \
    "$(rate telegram/updates_unthrottled 500)" "$(rate telegram/server_round_trips 500)" \
    rate 0.20
for db in sqlite postgres; do
    for callers in 1 16; do
        measured=$(service_rate "$db" "nomination requests" "$callers")
        floor=$(service_rate "$db" "raw inserts" "$callers")
        if [ -n "$measured" ] && [ -n "$floor" ]; then
            row "service, $db, $callers caller(s): nominations/s beside raw inserts/s" \
                "$measured" "$floor" rate 0.40
        fi
    done
done
row "matcher, shipped FAQ: time per question beside folding it" \
    "$(mean_ns ask/shipped)" "$(mean_ns fold/shipped)" time 0.12
row "matcher, 10,000 entries: time per question beside folding it" \
    "$(mean_ns ask/synthetic_10k)" "$(mean_ns fold/synthetic_10k)" time 0.0009

{
    echo "Measured $(date -u '+%Y-%m-%d %H:%M UTC') on $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
    echo
    echo "| figure | measured | floor | ratio | target |"
    echo "| --- | ---: | ---: | ---: | ---: |"
    for r in "${rows[@]}"; do
        IFS='|' read -r figure measured floor unit goal <<<"$r"
        awk -v f="$figure" -v m="$measured" -v fl="$floor" -v u="$unit" -v g="$goal" '
        function shown(x) { return x >= 0.1 ? sprintf("%.2f", x) : sprintf("%.2g", x) }
        function thousands(n,    s) {
            s = sprintf("%d", n)
            while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s)
            return s
        }
        BEGIN {
            if (fl == "") {
                printf "| %s | %s | | | |\n", f, thousands(m)
                exit
            }
            if (u == "time") {
                # Times: the floor takes less; the ratio is the floor over the figure.
                ratio = fl / m
                shown_m = sprintf("%.2f µs", m / 1000); shown_f = sprintf("%.3f µs", fl / 1000)
            } else {
                ratio = m / fl
                shown_m = thousands(m); shown_f = thousands(fl)
            }
            mark = ratio >= g ? "" : " (below)"
            printf "| %s | %s | %s | %s%s | ≥ %s |\n", f, shown_m, shown_f, shown(ratio), mark, shown(g)
        }'
    done
} | tee "$out"
