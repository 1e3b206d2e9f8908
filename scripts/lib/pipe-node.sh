# shellcheck shell=bash
# Starting and stopping a local pipe-node on loopback; sourced by scripts/demo and scripts/test.
#   pipe_node_start PORT DATA_DIR LOGFILE [ARGS...]  build (unless PIPE_NODE_BIN names a binary) and start
#                                                    pipe-node on 127.0.0.1:PORT with its chain in DATA_DIR;
#                                                    sets PIPE_NODE_PID, PIPE_NODE_URL
#   pipe_node_stop                                   stop it (SIGINT: a clean shutdown); safe to call twice
# shellcheck source=net.sh
source "$(dirname "${BASH_SOURCE[0]}")/net.sh"

PIPE_NODE_PID=""
PIPE_NODE_URL=""

pipe_node_start() {
  local port="$1" data_dir="$2" log="$3"
  shift 3
  local root
  root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
  if port_taken "$port"; then
    echo "error: something already listens on 127.0.0.1:$port; stop it or choose another port" >&2
    return 1
  fi
  # PIPE_NODE_BIN names a pipe-node already built (scripts/test: the one its cargo test built; building
  # one package alone resolves other features and recompiles the workspace's crates).
  local bin="${PIPE_NODE_BIN:-}"
  if [[ -z "$bin" ]]; then
    cargo build --locked --quiet -p verigrad-pipe-node --bin pipe-node
    bin="${CARGO_TARGET_DIR:-$root/target}/debug/pipe-node"
  fi
  "$bin" --port "$port" --data-dir "$data_dir" \
    --models "$root/models" "$@" >"$log" 2>&1 &
  PIPE_NODE_PID=$!
  PIPE_NODE_URL="http://127.0.0.1:$port"
  # Loading the models (the 90 MB embedder among them) takes a few seconds in a debug build.
  wait_rpc pipe-node "$PIPE_NODE_PID" "$PIPE_NODE_URL" "$log" 120 || { pipe_node_stop; return 1; }
}

pipe_node_stop() {
  if [[ -n "$PIPE_NODE_PID" ]]; then
    kill -INT "$PIPE_NODE_PID" 2>/dev/null || true
    wait "$PIPE_NODE_PID" 2>/dev/null || true
    PIPE_NODE_PID=""
  fi
}
