#!/usr/bin/env bash
# Installs the tools the benchmark (and bench/profile.sh) needs, from Debian packages.
# Idempotent: when every tool is already on PATH, apt is not touched at all.
#
#   bench/setup.sh            # needs root (or sudo) only if something is missing
set -euo pipefail

# tool on PATH -> Debian package that provides it
declare -A packages=(
  [wrk]=wrk
  [nginx]=nginx-light
  [strace]=strace
  [gnuplot]=gnuplot-nox
  [taskset]=util-linux
  [cc]=gcc
  [perf]=linux-perf # bench/profile.sh only
  [curl]=curl       # readiness checks of compare.sh and profile.sh, and of the HTTPS servers
  [openssl]=openssl # the HTTPS workloads' self-signed certificate
  [ss]=iproute2     # idle-memory.sh: how many connections the server holds, and with how much unread
)

missing=()
for tool in "${!packages[@]}"; do
  # nginx may live in /usr/sbin, which is not on every user's PATH.
  if ! command -v "$tool" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$tool" ]]; then
    missing+=("${packages[$tool]}")
  fi
done

if ((${#missing[@]} == 0)); then
  echo "setup: all benchmark tools present"
  exit 0
fi

sudo=()
if ((EUID != 0)); then
  sudo=(sudo)
fi

echo "setup: installing ${missing[*]}"
"${sudo[@]}" apt-get update
# nginx-light is gone from newer Debian releases; fall back to plain nginx there.
if ! DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  fallback=("${missing[@]/nginx-light/nginx}")
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y --no-install-recommends "${fallback[@]}"
fi

# Debian's nginx package starts a system-wide service on port 80 on install; the benchmark runs its own
# nginx on 127.0.0.1 and does not need it (stopping it is harmless where there is no init system).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet nginx 2>/dev/null; then
  "${sudo[@]}" systemctl stop nginx || true
fi
echo "setup: done"
