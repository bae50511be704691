#!/usr/bin/env bash
# Runs a benchmark against the local components (started if needed). Usage: bench/run.sh [name]
# (`all` runs every benchmark and prints one table: bench/src/all.ts).
# Benchmarks print numbers; they do not pass or fail. Results also go to bench/results/<name>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/up.sh
set -a; . .local/endpoints.env; set +a
name="${1:-kit-passthrough}"
exec node --import tsx "bench/src/$name.ts"
