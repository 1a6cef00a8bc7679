#!/usr/bin/env bash
# Installs the Debian packages given as arguments that are not installed yet (apt-get update
# once, only when something is missing). Package postinst scripts are kept from starting system
# services: StrategicAgent runs its own PostgreSQL and RabbitMQ on its own ports.
# Exit status: 0 when everything is installed (nothing missing, or installed now), 1 otherwise, with
# a message on stderr that says which step failed. SA_POLICY_RC_D overrides the policy file's path
# (tests/StrategicAgent.Reliability.Tests run this script against a fake apt-get).
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
policy=${SA_POLICY_RC_D:-/usr/sbin/policy-rc.d}
added_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
  $SUDO chmod 755 "$policy"
  added_policy=1
fi
# The trap must not decide the script's exit status: a false test as its last command would
# turn a successful install into exit 1 (policy-rc.d already exists on machines of this kind).
cleanup() {
  if [ "$added_policy" = 1 ]; then $SUDO rm -f "$policy" || true; fi
}
trap cleanup EXIT

export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update -qq; then
  echo "apt-get update failed; cannot install: ${missing[*]}" >&2
  exit 1
fi
if ! $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; then
  echo "apt-get install failed for: ${missing[*]}" >&2
  exit 1
fi
echo "Installed: ${missing[*]}"
exit 0
