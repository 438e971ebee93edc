#!/usr/bin/env bash
# Installs the system packages tickforge builds against, only when they are missing:
# libzstd-dev (partitions, .zst inputs), zlib1g-dev (.gz inputs), pkg-config (SwiftPM finds both
# through it). Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

missing=()
pkg-config --exists libzstd 2>/dev/null || missing+=(libzstd-dev)
pkg-config --exists zlib 2>/dev/null || missing+=(zlib1g-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v zstd >/dev/null 2>&1 || missing+=(zstd)
command -v gzip >/dev/null 2>&1 || missing+=(gzip)
command -v python3 >/dev/null 2>&1 || missing+=(python3)

if ((${#missing[@]})); then
    echo "setup: installing ${missing[*]}" >&2
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v swift >/dev/null 2>&1 || { echo "setup: swift is not on PATH (expected Swift 6.1 or newer)" >&2; exit 1; }
