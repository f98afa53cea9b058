#!/usr/bin/env bash
# Builds conclave-server and runs a standalone server on 127.0.0.1:2181 (or $PORT) in the
# foreground, with its data under ./data. Ctrl-C stops it.
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
cat <<MSG
Conclave is starting on 127.0.0.1:$port (config: $cfg).
Connect with any ZooKeeper client, e.g.
  /usr/share/zookeeper/bin/zkCli.sh -server 127.0.0.1:$port     (apt-get install zookeeper)
  /usr/bin/python3 -c 'from kazoo.client import KazooClient as K; z=K("127.0.0.1:$port"); z.start(); print(z.get_children("/"))'
MSG
exec build-release/server/conclave-server "$cfg"
