#!/usr/bin/env bash
# The primes demo (`make demo`): from nothing, 4 `jug execute` workers share 99 tasks.
# Works from any directory; uses the `jug` on PATH (override with JUG=...).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
JUG="${JUG:-jug}"

rm -rf primes.jugdata output.txt

echo "== jug status primes.py (before)"
# Exits 1 while work is left (as Jug 2.7's status does): expected here.
$JUG status primes.py || true

echo
echo "== 4 workers: jug execute primes.py"
pids=()
for i in 1 2 3 4; do
    # One short summary line per worker (pipefail keeps jug's exit code).
    ( set -o pipefail; $JUG execute primes.py --short --wait-cycle-time 1 | sed "s/^/worker $i: /" ) &
    pids+=($!)
done
failed=0
for pid in "${pids[@]}"; do
    wait "$pid" || failed=1
done

echo
echo "== jug status primes.py (after)"
$JUG status primes.py

echo
echo "== output.txt"
cat output.txt

if [ "$failed" -ne 0 ] || ! $JUG check primes.py; then
    echo "demo FAILED: a worker failed or tasks remain" >&2
    exit 1
fi
