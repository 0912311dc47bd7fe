#!/usr/bin/env bash
# The imrlint benchmark: corpora of recombined real letters, imrlint with 1 and 2 jobs, and on
# the same letters Semgrep and ripgrep running the default rules' cite patterns.
#
#   bench/run.sh                  sizes 1000 10000 100000
#   bench/run.sh 1000 10000       chosen sizes
#
# Environment:
#   BENCH_DIR            where corpora, tools and results go (default target/bench)
#   BENCH_SEMGREP_SIZES  sizes Semgrep runs on (default 1000: it takes about a minute per
#                        thousand letters; "none" skips it)
#   BENCH_JOBS           job counts (default "1 2")
#
# Writes $BENCH_DIR/results.md (a table for bench/RESULTS.md) and prints it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SIZES=${*:-1000 10000 100000}
WORK=${BENCH_DIR:-$ROOT/target/bench}
SEMGREP_SIZES=${BENCH_SEMGREP_SIZES:-1000}
JOBS=${BENCH_JOBS:-1 2}
mkdir -p "$WORK"

echo "== building imrlint (release)" >&2
cargo build --release --quiet
IMRLINT=$ROOT/target/release/imrlint

echo "== tools" >&2
if [ ! -x "$WORK/venv/bin/semgrep" ]; then
    python3 -m venv "$WORK/venv"
    # Pinned: newer Semgrep wheels need packages newer than some mirrors carry. Its `mcp`
    # dependency asks for a pydantic whose internals this Semgrep's import does not find, so
    # pydantic is put back afterwards (pip warns about the conflict; Semgrep runs).
    "$WORK/venv/bin/pip" install --quiet "semgrep==1.140.0" pyyaml
    "$WORK/venv/bin/pip" install --quiet "pydantic<2.11" 2>/dev/null
    "$WORK/venv/bin/semgrep" --version > /dev/null
fi
SEMGREP=$WORK/venv/bin/semgrep
RG=$(command -v rg || true)
if [ -z "$RG" ]; then
    [ -x "$WORK/tools/bin/rg" ] || cargo install --quiet ripgrep --root "$WORK/tools"
    RG=$WORK/tools/bin/rg
fi
"$WORK/venv/bin/python" bench/cite_patterns.py rules "$WORK/semgrep.yaml" "$WORK/patterns.txt" >&2

SOURCES=(cases)
[ -d ../shared/corpus/text ] && SOURCES+=(../shared/corpus/text)

# measure NAME SIZE JOBS BYTES -- command...: runs it under /usr/bin/time -v, appends a row.
# Exit status 1 is findings (imrlint) or no match (ripgrep); 2 and above is a failed run, which
# is shown and not measured: a tool that stopped early would look fast.
measure() {
    local name=$1 size=$2 jobs=$3 bytes=$4
    shift 5
    local log=$WORK/time.log status=0
    /usr/bin/time -v -o "$log" "$@" > "$WORK/out" 2> "$WORK/err" || status=$?
    if [ "$status" -ge 2 ]; then
        echo "$name failed on $size letters with $jobs job(s) (exit status $status):" >&2
        tail -n 20 "$WORK/err" >&2
        return
    fi
    local wall rss
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$log" |
        awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    rss=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$log")
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$size" "$jobs" "$wall" "$rss" "$bytes" >> "$WORK/results.tsv"
    awk -v n="$name" -v s="$size" -v j="$jobs" -v w="$wall" -v r="$rss" -v b="$bytes" 'BEGIN {
        printf "%-8s %7d letters  -j%d  %8.2f s  %9.0f letters/s  %7.1f MB/s  %6.1f MB peak\n",
            n, s, j, w, s / w, b / 1e6 / w, r / 1024 }' >&2
}

: > "$WORK/results.tsv"
for size in $SIZES; do
    corpus=$WORK/corpus-$size
    if [ ! -f "$corpus/.complete" ]; then
        rm -rf "$corpus"
        python3 bench/make_corpus.py "$size" "$corpus" "${SOURCES[@]}" >&2
        touch "$corpus/.complete"
    fi
    bytes=$(find "$corpus" -name '*.txt' -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
    # Warm the page cache so that every tool reads from memory.
    find "$corpus" -name '*.txt' -exec cat {} + > /dev/null
    for jobs in $JOBS; do
        measure imrlint "$size" "$jobs" "$bytes" -- \
            "$IMRLINT" check "$corpus" --format json --jobs "$jobs" --no-progress --no-config
        measure ripgrep "$size" "$jobs" "$bytes" -- \
            "$RG" --count --ignore-case --no-ignore --threads "$jobs" -f "$WORK/patterns.txt" "$corpus"
        if [[ " $SEMGREP_SIZES " == *" $size "* ]]; then
            measure semgrep "$size" "$jobs" "$bytes" -- \
                env SEMGREP_ENABLE_VERSION_CHECK=0 "$SEMGREP" scan --config "$WORK/semgrep.yaml" \
                --metrics=off --disable-version-check --quiet --json --no-git-ignore \
                --jobs "$jobs" "$corpus"
            # Semgrep skips what .gitignore names, and the default corpora are under target/:
            # a run that scanned nothing must not pass for a fast one.
            python3 -c 'import json, sys
scanned = len(json.load(open(sys.argv[1]))["paths"]["scanned"])
if scanned < int(sys.argv[2]):
    sys.exit(f"semgrep scanned {scanned} of {sys.argv[2]} letters")' "$WORK/out" "$size"
        fi
    done
done

python3 bench/report.py "$WORK/results.tsv" > "$WORK/results.md"
cat "$WORK/results.md"
