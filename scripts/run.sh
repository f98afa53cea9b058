#!/usr/bin/env bash
# Builds Conclave, starts a local ensemble of $MEMBERS members (default 3) on 127.0.0.1 --
# member N serves clients on port 2180+N (or $PORT-1+N), talks to the others on 2887+N
# (quorum) and 3887+N (election), and keeps its data under ./data/mN -- waits until it has
# elected a leader and every member serves, then opens the conclave-cli shell on the whole
# ensemble. Leaving the shell (quit or Ctrl-D) stops the members. With SERVER_ONLY=1 it runs
# just the members, until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --build-only
BUILD_DIR=build-release ./scripts/build.sh -DCMAKE_BUILD_TYPE=Release -DCONCLAVE_TESTS=OFF >/dev/null

members=${MEMBERS:-3}
first_port=${PORT:-2181}
server=build-release/server/conclave-server
cli=build-release/client/shell/conclave-cli
data_root="$PWD/data"

server_lines=""
for n in $(seq "$members"); do
  server_lines+="server.$n=127.0.0.1:$((2887 + n)):$((3887 + n))"$'\n'
done
hosts=""
pids=()
for n in $(seq "$members"); do
  dir="$data_root/m$n"
  mkdir -p "$dir"
  echo "$n" >"$dir/myid"
  port=$((first_port - 1 + n))
  hosts+="${hosts:+,}127.0.0.1:$port"
  # Rewritten every time, so that a changed MEMBERS or PORT takes effect; the data stays.
  cat >"$dir/zoo.cfg" <<CFG
tickTime=2000
initLimit=10
syncLimit=5
dataDir=$dir
clientPort=$port
clientPortAddress=127.0.0.1
4lw.commands.whitelist=ruok,srvr,stat,mntr,conf,cons,wchs,dirs,isro,zabs
$server_lines
CFG
  "$server" "$dir/zoo.cfg" >>"$dir/server.log" 2>&1 &
  pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null' EXIT

# A four-letter word's answer ("" when the member does not answer).
four_letter_word() {
  local answer=""
  if { exec 3<>"/dev/tcp/127.0.0.1/$1"; } 2>/dev/null; then
    printf %s "$2" >&3
    answer=$(timeout 2 cat <&3 || true)
    exec 3>&-
  fi
  printf %s "$answer"
}

# Ready when every member serves: srvr names its Mode (bounded: 60 s).
ready=0
for _ in $(seq 600); do
  for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
      echo "member $((i + 1)) exited; see $data_root/m$((i + 1))/server.log" >&2
      exit 1
    fi
  done
  serving=0
  for n in $(seq "$members"); do
    if four_letter_word $((first_port - 1 + n)) srvr | grep -q '^Mode: '; then
      serving=$((serving + 1))
    fi
  done
  if [ "$serving" = "$members" ]; then
    ready=1
    break
  fi
  sleep 0.1
done
if [ "$ready" != 1 ]; then
  echo "the ensemble did not elect a leader within 60 s; see $data_root/m*/server.log" >&2
  exit 1
fi
for n in $(seq "$members"); do
  mode=$(four_letter_word $((first_port - 1 + n)) srvr | sed -n 's/^Mode: //p')
  echo "member $n: $mode on 127.0.0.1:$((first_port - 1 + n)) (data $data_root/m$n)"
done

if [ "${SERVER_ONLY:-0}" = 1 ]; then
  echo "Serving until Ctrl-C."
  wait "${pids[@]}"
  exit 0
fi
cat <<MSG
The ensemble serves on $hosts (logs in $data_root/m*/server.log).
Other ZooKeeper clients can connect too, e.g. /usr/share/zookeeper/bin/zkCli.sh -server $hosts
Opening conclave-cli; 'help' lists commands, 'quit' leaves and stops the ensemble.
MSG
"$cli" -server "$hosts"
