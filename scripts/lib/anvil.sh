# shellcheck shell=bash
# Starting and stopping a local anvil on loopback; sourced by scripts/demo and scripts/test.
#   anvil_start PORT LOGFILE   start anvil on 127.0.0.1:PORT, wait until it answers; sets ANVIL_PID, ANVIL_URL
#   anvil_stop                 stop the anvil this shell started (by its pid); safe to call twice
#   free_port                  print a free TCP port on 127.0.0.1

ANVIL_PID=""
ANVIL_URL=""

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

anvil_start() {
  local port="$1" log="$2"
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "error: something already listens on 127.0.0.1:$port; stop it or choose another port (ANVIL_PORT)" >&2
    return 1
  fi
  anvil --host 127.0.0.1 --port "$port" --silent >"$log" 2>&1 &
  ANVIL_PID=$!
  ANVIL_URL="http://127.0.0.1:$port"
  local tries=0
  until cast chain-id --rpc-url "$ANVIL_URL" >/dev/null 2>&1; do
    if ! kill -0 "$ANVIL_PID" 2>/dev/null; then
      echo "error: anvil exited during start-up; its log ($log):" >&2
      cat "$log" >&2
      ANVIL_PID=""
      return 1
    fi
    tries=$((tries + 1))
    if ((tries > 150)); then
      echo "error: anvil did not answer on $ANVIL_URL within 30 s" >&2
      anvil_stop
      return 1
    fi
    sleep 0.2
  done
}

anvil_stop() {
  if [[ -n "$ANVIL_PID" ]]; then
    kill "$ANVIL_PID" 2>/dev/null || true
    wait "$ANVIL_PID" 2>/dev/null || true
    ANVIL_PID=""
  fi
}
