# shellcheck shell=bash
# Loopback helpers for the local processes (anvil, pipe-node); sourced by anvil.sh and pipe-node.sh.
#   free_port                        print a free TCP port on 127.0.0.1
#   port_taken PORT                  succeed if something listens on 127.0.0.1:PORT
#   wait_rpc NAME PID URL LOG [SECS] wait until the JSON-RPC at URL answers; fail (showing LOG) if
#                                    PID exits first or SECS (default 30) pass

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

port_taken() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

wait_rpc() {
  local name="$1" pid="$2" url="$3" log="$4" secs="${5:-30}"
  local tries=0
  until cast chain-id --rpc-url "$url" >/dev/null 2>&1; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "error: $name exited during start-up; its log ($log):" >&2
      cat "$log" >&2
      return 1
    fi
    tries=$((tries + 1))
    if ((tries > secs * 5)); then
      echo "error: $name did not answer on $url within $secs s; its log ($log):" >&2
      cat "$log" >&2
      return 1
    fi
    sleep 0.2
  done
}
