#!/usr/bin/env bash
# Side by side on the same files, in one run: the decompression floor
# (pigz -dc), trailscope stats, and whichever peers are installed (jq
# counting eventName; DuckDB's read_json + unnest + group by). Each is run
# RUNS times; the table gives the median wall time, its ratio to the floor
# and the peak resident memory. Also the explorer's first frame in a real
# terminal (tmux), from process start.
#
#   bench/compare.sh DIR [RUNS]        (build first: cargo build --release)
#   PEERS=0 bench/compare.sh DIR       only the floor and trailscope
set -euo pipefail
DIR=${1:?usage: bench/compare.sh DIR [RUNS]}
RUNS=${2:-3}
HERE=$(cd "$(dirname "$0")/.." && pwd)
BIN=${TRAILSCOPE:-$HERE/target/release/trailscope}
[ -x "$BIN" ] || { echo "build first: cargo build --release" >&2; exit 2; }
command -v pigz >/dev/null || { echo "pigz is needed for the floor (apt-get install pigz)" >&2; exit 2; }
LIST=$(mktemp)
trap 'rm -f "$LIST" "$LIST".*' EXIT
find "$DIR" -type f -name '*.gz' ! -path '*CloudTrail-Digest*' -print0 >"$LIST"
files=$(tr -cd '\0' <"$LIST" | wc -c)
json_bytes=$(xargs -0 pigz -dc <"$LIST" | wc -c)
echo "data: $DIR, $files gzip files, $((json_bytes / 1000000)) MB of JSON; $(nproc) cores; $RUNS runs each"
echo

# measure NAME COMMAND: prints "NAME|median seconds|max RSS KB"
measure() {
  local name=$1 cmd=$2 times=() rss=0
  for _ in $(seq "$RUNS"); do
    local out
    /usr/bin/time -o "$LIST.time" -f '%e %M' bash -c "$cmd" >/dev/null 2>&1 || true
    out=$(tail -1 "$LIST.time")
    times+=("${out% *}")
    local m=${out#* }
    [ "$m" -gt "$rss" ] && rss=$m
  done
  local median
  median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "$name|$median|$rss"
}

rows=()
rows+=("$(measure 'pigz -dc (decompression floor)' "xargs -0 pigz -dc < '$LIST'")")
rows+=("$(measure 'trailscope stats' "'$BIN' stats '$DIR'")")
if [ "${PEERS:-1}" = 1 ] && command -v jq >/dev/null; then
  rows+=("$(measure 'jq, counting eventName' "xargs -0 pigz -dc < '$LIST' | jq -n 'reduce (inputs | .Records[]?.eventName) as \$n ({}; .[\$n] += 1)'")")
fi
if [ "${PEERS:-1}" = 1 ] && python3 -c 'import duckdb' 2>/dev/null; then
  rows+=("$(measure 'DuckDB read_json + group by (2 threads)' "python3 -c \"import duckdb; c = duckdb.connect(); c.execute('SET threads=2'); c.sql(\\\"SELECT e.eventName, count(*) FROM (SELECT unnest(Records) AS e FROM read_json('$DIR/**/*.json.gz', columns={'Records': 'STRUCT(eventName VARCHAR)[]'}, maximum_object_size=268435456) WHERE Records IS NOT NULL) GROUP BY 1\\\").fetchall()\"")")
elif [ "${PEERS:-1}" = 1 ] && command -v duckdb >/dev/null; then
  rows+=("$(measure 'DuckDB read_json + group by (2 threads)' "duckdb -c \"SET threads=2; SELECT e.eventName, count(*) FROM (SELECT unnest(Records) AS e FROM read_json('$DIR/**/*.json.gz', columns={'Records': 'STRUCT(eventName VARCHAR)[]'}, maximum_object_size=268435456) WHERE Records IS NOT NULL) GROUP BY 1\"")")
fi

floor=$(echo "${rows[0]}" | cut -d'|' -f2)
printf '%-42s %10s %10s %14s\n' "tool" "median s" "x floor" "peak RSS MB"
for r in "${rows[@]}"; do
  IFS='|' read -r name secs rss <<<"$r"
  printf '%-42s %10.2f %10.2f %14.0f\n' "$name" "$secs" "$(echo "$secs / $floor" | bc -l)" "$(echo "$rss / 1024" | bc -l)"
done

if command -v tmux >/dev/null; then
  echo
  frames=()
  for _ in $(seq "$RUNS"); do
    f="$LIST.frame"
    rm -f "$f"
    sock="trailscope-compare-$$"
    tmux -L "$sock" -f /dev/null new-session -d -x 160 -y 48 "TRAILSCOPE_FIRST_FRAME_FILE='$f' '$BIN' '$DIR'"
    for _ in $(seq 200); do [ -s "$f" ] && break; sleep 0.05; done
    tmux -L "$sock" kill-server 2>/dev/null || true
    frames+=("$(cat "$f" 2>/dev/null || echo nan)")
  done
  printf 'explorer first frame in tmux (160x48), from process start: median %s ms (runs: %s)\n' \
    "$(printf '%s\n' "${frames[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')" "${frames[*]}"
fi
