#!/usr/bin/env bash
# The GPU check (see benchmarks/gpu_check.py): every chapter at quick on the GPU against the CPU,
# then as many paper presets as fit in the budget, archived. Everything measured goes into OUT.
#
#   benchmarks/gpu_check.sh OUT BUDGET_MIN [DEVICE]     # DEVICE: cuda (default), cpu, auto
#   benchmarks/gpu_check.sh /tmp/gpu 12                 # on a machine with a CUDA GPU
#   benchmarks/gpu_check.sh /tmp/gpu-test 0 cpu         # tests the script itself on the CPU
set -euo pipefail
if [[ $# -lt 2 ]]; then
  sed -n 2,7p "$0" >&2
  exit 2
fi
cd "$(dirname "$0")/.."
out=$1 budget=$2 device=${3:-cuda}
mkdir -p "$out"
test -x .venv/bin/python || make .venv/.installed
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 TQDM_DISABLE=1
export CUBLAS_WORKSPACE_CONFIG=:4096:8  # deterministic cuBLAS (torch.use_deterministic_algorithms)
{ nvidia-smi 2>&1 || echo "no nvidia-smi"; } >"$out/nvidia-smi.txt"
.venv/bin/python benchmarks/gpu_check.py "$out" "$budget" --device "$device" "${@:4}" 2>&1 \
  | tee "$out/gpu_check.log"
