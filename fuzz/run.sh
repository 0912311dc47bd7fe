#!/usr/bin/env bash
# Runs each fuzz target for a fixed time.
#
#   fuzz/run.sh                 every target, 600 seconds each
#   fuzz/run.sh 60 letter cel   chosen targets, 60 seconds each
#
# Targets: letter (text bytes), pdf (PDF bytes), facts (letters through facts and every default
# rule), rules (one rule file of any kind), cel (rule conditions). Seeds come from cases/, the
# rules/ folder and, when present, ../shared/corpus. A crash is written to fuzz/artifacts/TARGET/;
# reproduce it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`, fix it, and add the
# input as a regression test.
set -euo pipefail
cd "$(dirname "$0")"
EACH=${1:-600}
shift || true
TARGETS=${*:-letter pdf facts rules cel}

command -v cargo-fuzz > /dev/null || cargo install --quiet --locked cargo-fuzz
# cargo fuzz passes sanitizer flags that need a nightly compiler; this machine has stable only,
# which accepts them when told it is bootstrapping itself.
export RUSTC_BOOTSTRAP=1

seed() {
    local target=$1 dir=corpus/$1
    mkdir -p "$dir"
    [ -n "$(ls -A "$dir")" ] && return
    case $target in
        letter | facts) cp ../cases/*.txt "$dir"/ ;;
        pdf)
            for f in ../../shared/corpus/pdf/*.pdf; do
                [ -f "$f" ] || continue
                tail -c +10 "$f" > "$dir/$(basename "$f")"
            done
            [ -n "$(ls -A "$dir")" ] || printf '1 0 obj\n<<>>\nendobj\n' > "$dir/empty"
            ;;
        rules)
            local i=0
            for f in ../rules/*.yaml ../rules/*/*.yaml; do
                { printf "\\x$(printf %02x $((i % 10)))"; cat "$f"; } > "$dir/$(basename "$f")"
                i=$((i + 1))
            done
            ;;
        cel)
            grep -rhoE "(applies_to|when): .+" ../rules | sed -E 's/^(applies_to|when): //' |
                sort -u | head -200 | split -l 1 - "$dir/expr-"
            ;;
    esac
}

for target in $TARGETS; do
    seed "$target"
    echo "== $target: $EACH s" >&2
    cargo fuzz run --release "$target" "corpus/$target" -- \
        -max_total_time="$EACH" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1
done
