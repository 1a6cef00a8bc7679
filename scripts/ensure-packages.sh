#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet (apt-get update
# once, only when something is missing). Package postinst scripts are kept from starting system
# services: StrategicAgent runs its own PostgreSQL and RabbitMQ on its own ports.
set -euo pipefail

missing=()
for pkg in "$@"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "Missing packages: ${missing[*]}. Install them as root (apt-get install ${missing[*]})." >&2; exit 1; }
  SUDO="sudo"
fi

echo "Installing missing packages: ${missing[*]}"
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
cleanup() { [ "$added_policy" = 1 ] && $SUDO rm -f "$policy"; }
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed: ${missing[*]}"
