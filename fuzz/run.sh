#!/usr/bin/env bash
# Runs every libFuzzer binary BUILD_DIR/fuzz_<name> for SECONDS, starting from
# the committed corpus fuzz/corpus/<name>, then merges what it found back into
# that corpus, so new interesting inputs are kept and replayed by the tests.
#
# The merge (-merge=1) re-minimizes the whole corpus by edge coverage
# (-use_counters=0: hit counts would keep thousands of near-duplicates), into
# files named by their SHA-1. Hand-written seeds (any other file name) are
# always kept as they are.
#
#   bash fuzz/run.sh BUILD_DIR SECONDS
#
# BUILD_DIR comes from: CC=clang cmake -S . -B BUILD_DIR -DSPIDER_FUZZ=ON
# (what `make fuzz` does), which instruments the library code too, so the
# fuzzer sees coverage inside the parsers and ASan checks them.
# A failure stops the run and leaves crash-*/leak-*/timeout-* in fuzz/
# (git-ignored): turn it into a regression test, fix the bug, and copy the
# input into the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ $# -ne 2 ]; then
  echo "usage: $0 BUILD_DIR SECONDS" >&2
  exit 2
fi
build=$1
seconds=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

found=0
for bin in "$build"/fuzz_*; do
  [ -x "$bin" ] || continue
  found=1
  name=$(basename "$bin")
  corpus=fuzz/corpus/${name#fuzz_}
  mkdir -p "$corpus" "$work/$name"
  echo "fuzz: $name for ${seconds}s, corpus $corpus ($(ls "$corpus" | wc -l) files)"
  # New inputs go to a scratch dir; the committed dir gets only the merge.
  # -max_len keeps inputs small enough to commit.
  status=0
  "$bin" "$work/$name" "$corpus" -max_total_time="$seconds" -max_len=2048 -timeout=10 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=fuzz/ >"$work/$name.log" 2>&1 ||
    status=$?
  if [ $status -ne 0 ]; then
    tail -n 40 "$work/$name.log"
    echo "fuzz: $name failed (exit $status); the input is in fuzz/" >&2
    exit 1
  fi
  grep -E '^(stat::number_of_executed_units|stat::new_units_added)' "$work/$name.log" || true
  mkdir -p "$work/$name.min"
  "$bin" -merge=1 -use_counters=0 "$work/$name.min" "$corpus" "$work/$name" \
    >"$work/$name.merge.log" 2>&1
  # Keep the seeds; replace the generated files by the minimized set, minus
  # copies of seeds.
  find "$corpus" -type f -regextype posix-extended -regex '.*/[0-9a-f]{40}' -delete
  seeds=$(find "$corpus" -type f -exec sha1sum {} + | cut -d' ' -f1)
  for f in "$work/$name.min"/*; do
    [ -f "$f" ] || continue
    grep -qx "$(basename "$f")" <<<"$seeds" || cp "$f" "$corpus/"
  done
  echo "fuzz: $name corpus now $(ls "$corpus" | wc -l) files," \
    "$(du -sh --apparent-size "$corpus" | cut -f1) of data"
done
if [ $found -eq 0 ]; then
  echo "fuzz: no fuzz_* binaries in $build" >&2
  exit 1
fi
