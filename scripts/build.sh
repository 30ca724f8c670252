#!/usr/bin/env bash
# Configures and builds one flavour of the project with CMake and Ninja.
#
#   build.sh [release|debug|asan] [ninja targets...]
#
# Build folders: build/release, build/debug, build/asan (Debug with
# AddressSanitizer and UndefinedBehaviorSanitizer). Jobs: BUILD_JOBS (2).
set -euo pipefail
source "$(dirname "$0")/common.sh"

flavour="${1:-release}"; shift || true
case "$flavour" in
  release) args=(-DCMAKE_BUILD_TYPE=Release) ;;
  debug) args=(-DCMAKE_BUILD_TYPE=Debug) ;;
  asan) args=(-DCMAKE_BUILD_TYPE=Debug -DINVENTORY_SANITIZE=ON) ;;
  *) die "build.sh: flavour is release, debug or asan" ;;
esac
dir="$ROOT/build/$flavour"
if [ ! -f "$dir/build.ninja" ]; then
  cmake -S "$ROOT" -B "$dir" -G Ninja "${args[@]}" >/dev/null
fi
log "build: $flavour ${*:-all}"
ninja -C "$dir" -j "${BUILD_JOBS:-2}" "$@"
