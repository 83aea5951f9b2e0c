#!/usr/bin/env bash
# Installs everything mlml needs on a fresh Debian 12 + Node 20 machine (as root), idempotently:
# pnpm, Debian's chromium (its SwiftShader is the Vulkan driver WebGPU runs on without a GPU) and
# libvulkan1 (the Vulkan loader),
# python3-torch (PyTorch 1.13, for the benchmark's comparison and fixture regeneration; skip with
# MLML_SKIP_TORCH=1), the workspace's packages, and a build.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(pnpm --version 2>/dev/null || true)" != "12.4.2" ]; then
  npm install -g pnpm@12.4.2 >/dev/null
fi

apt_packages=()
[ -f /usr/lib/chromium/vk_swiftshader_icd.json ] || apt_packages+=(chromium)
# The system Vulkan loader, so Dawn (the webgpu package) finds SwiftShader without LD_LIBRARY_PATH.
[ -n "$(ldconfig -p | grep 'libvulkan.so.1 ')" ] || apt_packages+=(libvulkan1)  # no grep -q: SIGPIPE + pipefail
if [ "${MLML_SKIP_TORCH:-0}" != "1" ] && ! /usr/bin/python3 -c 'import torch' >/dev/null 2>&1; then
  apt_packages+=(python3-torch)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  echo "setup: apt-get install ${apt_packages[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null
fi

pnpm install --frozen-lockfile
pnpm build
