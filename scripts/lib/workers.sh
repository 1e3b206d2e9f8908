# shellcheck shell=bash
# Worker-node processes on loopback for scripts/demo: a store node, `worker run` processes, a
# coordinator. Every process started here is stopped by workers_stop (safe to call twice).
#   store_start PORT DIR LOG                start `worker store`; sets STORE_URL
#   worker_start NAME KEY LOG ARGS…         start `worker run ARGS…` as NAME with KEY; records its pid
#   worker_stop NAME                        stop one worker (SIGTERM: it finishes its current step)
#   coordinator_start PORT LOG              start `worker coordinate`; sets COORDINATOR_URL
#   workers_stop                            stop everything started here
# WORKER_BIN names the binary; VERIGRAD_RPC_URL and VERIGRAD_DEPLOYMENT must be exported.
# shellcheck source=net.sh
source "$(dirname "${BASH_SOURCE[0]}")/net.sh"

declare -A WORKER_PIDS=()
STORE_URL=""
COORDINATOR_URL=""

# wait_http NAME PID URL LOG — waits until URL answers 200, or fails with the process's log.
wait_http() {
  local name="$1" pid="$2" url="$3" log="$4"
  for _ in $(seq 1 100); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url"; then
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited; its log ($log):" >&2; tail -20 "$log" >&2; return 1
    fi
    sleep 0.1
  done
  echo "error: $name did not answer at $url within 10 s; its log ($log):" >&2; tail -20 "$log" >&2
  return 1
}

store_start() {
  local port="$1" dir="$2" log="$3"
  if port_taken "$port"; then
    echo "error: something already listens on 127.0.0.1:$port (a store node?); stop it first" >&2
    return 1
  fi
  "$WORKER_BIN" store --dir "$dir" --listen "127.0.0.1:$port" >"$log" 2>&1 &
  WORKER_PIDS[store]=$!
  STORE_URL="http://127.0.0.1:$port"
  wait_http "the store node" "${WORKER_PIDS[store]}" "$STORE_URL/health" "$log"
}

worker_start() {
  local name="$1" key="$2" log="$3"
  shift 3
  VERIGRAD_KEY="$key" NO_COLOR=1 "$WORKER_BIN" run --store "$STORE_URL" "$@" >"$log" 2>&1 &
  WORKER_PIDS[$name]=$!
}

worker_stop() {
  local pid="${WORKER_PIDS[$1]:-}"
  [[ -n "$pid" ]] || return 0
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  unset "WORKER_PIDS[$1]"
}

coordinator_start() {
  local port="$1" log="$2"
  if port_taken "$port"; then
    echo "error: something already listens on 127.0.0.1:$port (a coordinator?); stop it first" >&2
    return 1
  fi
  NO_COLOR=1 "$WORKER_BIN" coordinate --listen "127.0.0.1:$port" --store "$STORE_URL" >"$log" 2>&1 &
  WORKER_PIDS[coordinator]=$!
  COORDINATOR_URL="http://127.0.0.1:$port"
  wait_http "the coordinator" "${WORKER_PIDS[coordinator]}" "$COORDINATOR_URL/health" "$log"
}

workers_stop() {
  local name
  # Signal all first, so they finish their current steps side by side.
  for name in "${!WORKER_PIDS[@]}"; do kill "${WORKER_PIDS[$name]}" 2>/dev/null || true; done
  for name in "${!WORKER_PIDS[@]}"; do worker_stop "$name"; done
}
