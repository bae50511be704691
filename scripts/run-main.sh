#!/usr/bin/env bash
# Seam's main job: start the real components (Kafka, registry, Redis, local LLM), apply the topology
# and register the schemas, then run the six services on the bundled hybrid attack scenario and
# print the incidents, verdicts and actions (bin/seam-run.ts). Extra arguments go to seam-run.
set -euo pipefail
cd "$(dirname "$0")/.."
bash infra/up.sh
set -a; . .local/endpoints.env; set +a
echo "[seam] applying the topology"
(unset REDIS_CLUSTER_NODES; npx tsx topology/src/cli.ts apply) | tail -3
echo "[seam] registering the schemas (BACKWARD-checked by the registry)"
npx tsx schemas/src/cli.ts register | tail -2
# node --import tsx, not npx tsx: npx does not forward Ctrl-C/SIGTERM, and the services must drain.
exec node --import tsx bin/seam-run.ts "$@"
