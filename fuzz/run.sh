#!/usr/bin/env bash
# Run every atheris harness in fuzz/ for SECONDS each (default 60).
#
#   fuzz/run.sh              # one minute per harness
#   fuzz/run.sh 600          # the long run (README "Hostile input and fuzzing")
#   fuzz/run.sh 30 fuzz_elf  # one harness
#
# New corpus entries go to a scratch directory (the committed seeds under
# fuzz/corpus/ are only read).  Logs and crash artefacts go to
# $KCHECK_FUZZ_OUT (default fuzz/out/, ignored by git); reproduce a crash with
#   python fuzz/<harness>.py fuzz/out/<harness>-crash-<sha1>
# Exit status: 0 when no harness crashed, 1 otherwise.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
shift || true
python="${PYTHON:-python3}"
out="${KCHECK_FUZZ_OUT:-$here/out}"
mkdir -p "$out"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [ "$#" -gt 0 ]; then
    harnesses=("$@")
else
    harnesses=()
    for file in "$here"/fuzz_*.py; do harnesses+=("$(basename "$file" .py)"); done
fi

failed=()
for name in "${harnesses[@]}"; do
    mkdir -p "$work/$name"
    log="$out/$name.log"
    printf '%-18s %ss ... ' "$name" "$seconds"
    # -timeout: one input taking longer is a hang; -rss_limit_mb: a memory bomb.
    if "$python" "$here/$name.py" "$work/$name" "$here/corpus/$name" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=2048 -max_len=8192 \
        -artifact_prefix="$out/$name-" -print_final_stats=1 >"$log" 2>&1; then
        echo "ok ($(grep -m1 -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$') runs)"
    else
        echo "CRASH (see $log)"
        grep -A 30 -m1 -E 'Uncaught Python exception|ERROR: libFuzzer' "$log" | head -40
        failed+=("$name")
    fi
done
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz/run.sh: crashes in: ${failed[*]}" >&2
    exit 1
fi
