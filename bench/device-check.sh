#!/usr/bin/env bash
# bench/device-check.sh: the native wgpu bench on a GPU machine, in one command.
#
#   bench/device-check.sh --build                  on the development machine: builds dp-bench
#                                                  (release) and copies it, with the Vulkan
#                                                  loader, into bench/device/
#   bench/device-check.sh [--fp32_peak_tflops P]   on the GPU machine (bench/device/ carried
#                                                  along): the reverse SDE with the embedded
#                                                  network at 65,536 to 4,194,304 particles
#                                                  (the engine's cap, gpu::engine MAX_PARTICLES),
#                                                  after timing every shape of the MLP kernels
#                                                  (workgroup size, weights format) at 1,048,576
#                                                  and running the rows in the fastest
#
# Prints the adapter, steps/s, network evaluations/s and achieved GFLOP/s per particle count
# (with P, the device's FP32 peak from its data sheet, also the fraction of it), and writes
# the rows as JSON to $OUT/native-gpu.json ($OUT: the device tool's output folder; else
# bench/results/). The same rows as `cargo xtask bench --native_gpu_only`.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
bundle="$here/device"
particles=65536,262144,1048576,4194304

if [[ "${1:-}" == "--build" ]]; then
  (cd "$root" && cargo build --release --quiet --bin dp-bench)
  mkdir -p "$bundle"
  cp "${CARGO_TARGET_DIR:-$root/target}/release/dp-bench" "$bundle/"
  loader=$(/sbin/ldconfig -p | awk '/libvulkan\.so\.1 /{ print $NF; exit }')
  if [[ -z "$loader" ]]; then
    echo "device-check: no libvulkan.so.1 here (apt-get install libvulkan1)" >&2
    exit 1
  fi
  cp -L "$loader" "$bundle/libvulkan.so.1"
  echo "device-check: bench/device/ holds dp-bench and the Vulkan loader; carry it to the GPU machine"
  exit 0
fi

if [[ ! -x "$bundle/dp-bench" ]]; then
  echo "device-check: bench/device/dp-bench is missing: run bench/device-check.sh --build first" >&2
  exit 1
fi
# The machine's own Vulkan loader when it has one; else the carried one. The GPU's driver
# (its ICD, e.g. /usr/share/vulkan/icd.d/nvidia_icd.json) must be the machine's.
if ! /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; then
  export LD_LIBRARY_PATH="$bundle${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
fi
out="${OUT:-$here/results}"
mkdir -p "$out"
"$bundle/dp-bench" --gpu_only --particles "$particles" --json "$out/native-gpu.json" "$@"
