#!/usr/bin/env bash
# Installs what rlplace needs from Debian bookworm, then configures and builds it in
# build/. Safe to run again: apt skips what is installed and the build is incremental.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake ninja-build pkg-config
  libprotobuf-dev protobuf-compiler zlib1g-dev
  libfmt-dev libspdlog-dev libcli11-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libcairo2-dev
  libmetis-dev
  libtorch-dev libgloo-dev
  # libtorch-dev multiplies through libblas.so.3; OpenBLAS there instead of the reference
  # BLAS makes learning on the CPU up to twice as fast (docs/benchmarks.md).
  libopenblas0-openmp
  python3
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build
