#!/usr/bin/env bash
# imrlint against an earlier commit of itself, run by turns on the same corpora.
#
#   bench/compare.sh 2153a6f              1,000 and 10,000 letters, 1 and 2 jobs
#   bench/compare.sh 2153a6f 1000         chosen sizes
#
# This machine's wall times drift by a third within minutes, so a figure is only comparable with
# one taken beside it: each size and job count runs both builds by turns, RUNS times (default 5
# below 10,000 letters, 2 from there), and keeps each build's fastest run and largest peak memory.
# The corpora are bench/run.sh's (run it first for a size it has not made).
#
# Environment:
#   BENCH_DIR           where the corpora are (default target/bench)
#   COMPARE_TARGET_DIR  where the earlier commit is built (default target/compare); kept, so
#                       a second comparison with the same commit does not rebuild it
#   RUNS                runs of each build per size and job count
set -euo pipefail
cd "$(dirname "$0")/.."
BASE=${1:?usage: bench/compare.sh COMMIT [SIZES...]}
shift
SIZES=${*:-1000 10000}
WORK=${BENCH_DIR:-$PWD/target/bench}
BASE_TARGET=${COMPARE_TARGET_DIR:-$PWD/target/compare}

echo "== building this tree and $BASE (release)" >&2
cargo build --release --quiet
NOW=$PWD/target/release/imrlint
TREE=$(mktemp -d)
trap 'git worktree remove --force "$TREE" 2>/dev/null || rm -rf "$TREE"' EXIT
git worktree add --quiet --detach "$TREE" "$BASE"
(cd "$TREE" && CARGO_TARGET_DIR=$BASE_TARGET cargo build --release --quiet)
THEN=$BASE_TARGET/release/imrlint

# run NAME BINARY CORPUS JOBS: prints "NAME seconds kilobytes" of one run. Exit status 1 is
# findings; 2 and above is a failed run, which stops the comparison: it would look fast.
run() {
    local log status=0
    log=$(mktemp)
    /usr/bin/time -f '%e %M' -o "$log" "$2" check "$3" --format json --jobs "$4" \
        --no-progress --no-config > /dev/null 2>&1 || status=$?
    if [ "$status" -ge 2 ]; then
        echo "$2 failed on $3 (exit status $status)" >&2
        exit 1
    fi
    echo "$1 $(tail -n 1 "$log")"
    rm -f "$log"
}

printf '| letters | jobs | %s | this tree | change |\n|---:|---:|---|---|---|\n' "$BASE"
for size in $SIZES; do
    corpus=$WORK/corpus-$size
    [ -f "$corpus/.complete" ] || { echo "no corpus of $size letters: run bench/run.sh $size" >&2; exit 1; }
    runs=${RUNS:-$([ "$size" -ge 10000 ] && echo 2 || echo 5)}
    for jobs in 1 2; do
        results=$(mktemp)
        for _ in $(seq "$runs"); do
            run then "$THEN" "$corpus" "$jobs" >> "$results"
            run now "$NOW" "$corpus" "$jobs" >> "$results"
        done
        awk -v size="$size" -v jobs="$jobs" '
            { if (!($1 in wall) || $2 < wall[$1]) wall[$1] = $2; if ($3 > rss[$1]) rss[$1] = $3 }
            END {
                printf "| %d | %d | %.2f s, %.1f MB | %.2f s, %.1f MB | %+.0f%%, %+.0f%% |\n",
                    size, jobs, wall["then"], rss["then"] / 1024, wall["now"], rss["now"] / 1024,
                    100 * (wall["now"] / wall["then"] - 1), 100 * (rss["now"] / rss["then"] - 1)
            }' "$results"
        rm -f "$results"
    done
done
