#!/usr/bin/env bash
# install-deps.sh — idempotently install parm's Debian dependencies.
#   tools/install-deps.sh          build + test deps (compiler, OpenBLAS, oneDNN, libpng, cJSON)
#   tools/install-deps.sh bench    also PyTorch (peer baselines and fixture regeneration)
#   tools/install-deps.sh fuzz     also clang + libFuzzer + libomp (make fuzz)
#   tools/install-deps.sh browser  also headless Chromium and jq (make test-browser opens `parm report` pages)
#   tools/install-deps.sh mpi      also OpenMPI (make then builds ./parm with MPI: mpirun -np K ./parm …)
# Does nothing (and needs no root) when everything is already installed.
set -euo pipefail
pkgs=(gcc make pkg-config libopenblas-dev libdnnl-dev libpng-dev libcjson-dev libssl-dev)
if [ "${1:-}" = bench ]; then pkgs+=(python3 python3-torch python3-numpy); fi
if [ "${1:-}" = fuzz ]; then pkgs+=(clang libclang-rt-14-dev libomp-dev); fi
if [ "${1:-}" = browser ]; then pkgs+=(chromium jq); fi
if [ "${1:-}" = mpi ]; then pkgs+=(openmpi-bin libopenmpi-dev); fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q || true
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
