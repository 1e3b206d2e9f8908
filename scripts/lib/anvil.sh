# shellcheck shell=bash
# Starting and stopping a local anvil on loopback; sourced by scripts/demo and scripts/test.
#   anvil_start PORT LOGFILE [ARGS…]   start anvil on 127.0.0.1:PORT (with ARGS, e.g. --block-time 1),
#                              wait until it answers; sets ANVIL_PID, ANVIL_URL
#   anvil_stop                 stop the anvil this shell started (by its pid); safe to call twice
# shellcheck source=net.sh
source "$(dirname "${BASH_SOURCE[0]}")/net.sh"

ANVIL_PID=""
ANVIL_URL=""

anvil_start() {
  local port="$1" log="$2"
  shift 2
  if port_taken "$port"; then
    echo "error: something already listens on 127.0.0.1:$port; stop it or choose another port (ANVIL_PORT)" >&2
    return 1
  fi
  anvil --host 127.0.0.1 --port "$port" --silent "$@" >"$log" 2>&1 &
  ANVIL_PID=$!
  ANVIL_URL="http://127.0.0.1:$port"
  wait_rpc anvil "$ANVIL_PID" "$ANVIL_URL" "$log" || { anvil_stop; return 1; }
}

anvil_stop() {
  if [[ -n "$ANVIL_PID" ]]; then
    kill "$ANVIL_PID" 2>/dev/null || true
    wait "$ANVIL_PID" 2>/dev/null || true
    ANVIL_PID=""
  fi
}
