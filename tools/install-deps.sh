#!/usr/bin/env bash
# install-deps.sh — idempotently install parm's Debian dependencies.
#   tools/install-deps.sh          build + test deps (compiler, OpenBLAS, oneDNN, libpng, cJSON)
#   tools/install-deps.sh bench    also PyTorch (peer baselines and fixture regeneration)
# Does nothing (and needs no root) when everything is already installed.
set -euo pipefail
pkgs=(gcc make pkg-config libopenblas-dev libdnnl-dev libpng-dev libcjson-dev)
if [ "${1:-}" = bench ]; then pkgs+=(python3 python3-torch python3-numpy); fi
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
