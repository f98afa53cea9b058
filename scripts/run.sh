#!/usr/bin/env bash
# Builds Conclave, starts a server on 127.0.0.1:2181 (or $PORT) with its data under ./data,
# and opens the conclave-cli shell on it. Leaving the shell (quit or Ctrl-D) stops the
# server. With SERVER_ONLY=1 it runs just the server in the foreground.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build-only
BUILD_DIR=build-release ./scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DCONCLAVE_TESTS=OFF >/dev/null

port=${PORT:-2181}
data_dir="$PWD/data"
mkdir -p "$data_dir"
cfg="$data_dir/zoo.cfg"
if [ ! -f "$cfg" ]; then
  cat >"$cfg" <<CFG
tickTime=2000
dataDir=$data_dir
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf,cons,wchs,dirs,isro
CFG
fi
server=build-release/server/conclave-server
cli=build-release/client/shell/conclave-cli

if [ "${SERVER_ONLY:-0}" = 1 ]; then
  exec "$server" "$cfg"
fi

"$server" "$cfg" >"$data_dir/server.log" 2>&1 &
server_pid=$!
trap 'kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null' EXIT
# Ready when it answers ruok (bounded: 30 s).
for _ in $(seq 300); do
  if ! kill -0 "$server_pid" 2>/dev/null; then
    echo "conclave-server exited; see $data_dir/server.log" >&2
    exit 1
  fi
  if { exec 3<>"/dev/tcp/127.0.0.1/$port"; } 2>/dev/null; then
    printf ruok >&3
    answer=$(timeout 2 cat <&3 || true)
    exec 3>&-
    [ "$answer" = imok ] && break
  fi
  sleep 0.1
done
cat <<MSG
Conclave is serving on 127.0.0.1:$port (config $cfg, log $data_dir/server.log).
Other ZooKeeper clients can connect too, e.g. /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$port
Opening conclave-cli; 'help' lists commands, 'quit' leaves and stops the server.
MSG
"$cli" -server "127.0.0.1:$port"
