#!/usr/bin/env bash
# Installs, from Debian's packages, everything Conclave needs to build and test.
# Idempotent: it asks apt only for what is missing. Needs root (CI and dev machines run as root).
set -euo pipefail

build_pkgs=(build-essential cmake ninja-build pkg-config libboost-dev libboost-system-dev
  libleveldb-dev libprotobuf-dev protobuf-compiler libssl-dev libgtest-dev libgmock-dev libedit-dev
  nlohmann-json3-dev)
# libslf4j-java and liblog4j1.2-java: the SLF4J binding and log4j that give the test harness's
# ZooKeeper a log (tests/harness/zkservers.py). default-jdk-headless (javac) and the Curator
# packages: the Java-client compat tests (tests/compat/java) and the Curator interop tests
# (tests/recipes/curator).
test_pkgs=(clang libclang-rt-14-dev libzookeeper-mt-dev python3 python3-kazoo zookeeper procps tmux
  libslf4j-java liblog4j1.2-java default-jdk-headless libcurator-recipes-java
  libcurator-framework-java libcurator-client-java libcurator-discovery-java)

want=("${build_pkgs[@]}")
if [ "${1:-}" != "--build-only" ]; then want+=("${test_pkgs[@]}"); fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then exit 0; fi

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
