#!/usr/bin/env bash
# Builds rlplace against the CUDA LibTorch that ships with a PyTorch installation, for GPU
# machines that have their own toolchain (no apt; see docs/gpu.md). Cairo and METIS are
# left out when absent: training needs neither.
#   tools/setup_gpu.sh [BUILD_DIR [TARGET ...]]   (default build-gpu, every target)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build-gpu}
shift || true
targets=()
for t in "$@"; do targets+=(--target "$t"); done
prefix=$(python3 -c 'import torch; print(torch.utils.cmake_prefix_path)')
# NCCL's header for c10d's ProcessGroupNCCL (docs/distributed.md): PyTorch's wheels bring it
# in the nvidia-nccl package; without it the GPU ranks reduce through Gloo.
nccl=$(python3 -c 'import os, nvidia.nccl as n; print(os.path.join(list(n.__path__)[0], "include"))' 2>/dev/null || true)
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" \
  ${nccl:+-DRLPLACE_NCCL_INCLUDE="$nccl"} -DRLPLACE_BUILD_BENCHMARKS=OFF >/dev/null
cmake --build "$build" "${targets[@]}"
