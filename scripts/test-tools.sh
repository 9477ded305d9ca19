#!/usr/bin/env bash
# Makes sure the tools the integration tests and the demo run are installed
# (usage: test-tools.sh [TOOL…]; without arguments, every tool the tests use).
# As root it installs what is missing with apt-get; otherwise it names exactly what to install.
# In CI (CI=true) a tool that is still missing afterwards fails the run: tests never skip.
set -euo pipefail

# command → Debian package
declare -A package_of=(
  [promtool]=prometheus
  [prometheus]=prometheus
  [curl]=curl
  [prometheus-alertmanager]=prometheus-alertmanager
  [amtool]=prometheus-alertmanager
  [prometheus-node-exporter]=prometheus-node-exporter
  [prometheus-blackbox-exporter]=prometheus-blackbox-exporter
  [sshd]=openssh-server
  [ssh-keygen]=openssh-client
  [chromium]=chromium
  [victoria-metrics]=victoria-metrics
)
# sshd lives in /usr/sbin, which a non-root PATH may lack.
export PATH="$PATH:/usr/sbin:/sbin"

# Check the tools named as arguments (make demo needs only prometheus and curl), or all.
wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=("${!package_of[@]}")

missing_pkgs=()
missing_cmds=()
for cmd in "${wanted[@]}"; do
  if [ -z "${package_of[$cmd]+set}" ]; then
    echo "test-tools.sh: unknown tool $cmd" >&2
    exit 2
  fi
  if ! command -v "$cmd" >/dev/null 2>&1; then
    missing_cmds+=("$cmd")
    pkg=${package_of[$cmd]}
    [[ " ${missing_pkgs[*]-} " == *" $pkg "* ]] || missing_pkgs+=("$pkg")
  fi
done

if [ ${#missing_pkgs[@]} -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo ">> installing test tools: ${missing_pkgs[*]} (for ${missing_cmds[*]})"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing_pkgs[@]}" >/dev/null
  # Debian's packages start their services where systemd runs; the tests start their own.
  exit 0
fi

echo "missing test tools: ${missing_cmds[*]}" >&2
echo "install them with:  sudo apt-get install ${missing_pkgs[*]}" >&2
exit 1
