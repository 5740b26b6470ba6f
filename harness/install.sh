#!/usr/bin/env bash
# Installs what the integration suite needs, only when it is missing:
#   - Debian packages: libvirtd + QEMU driver, virsh, QEMU (TCG), sshd, nc,
#     python3-libvirt (the C-client oracle), SASL tools, openssl,
#     Chromium (the browser tests drive Debian's build with puppeteer-core;
#     nothing is downloaded by a browser installer);
#   - the unprivileged user `lvtest` that runs the private session daemons.
# Idempotent; when everything is present it only runs a few `dpkg-query`/`id`
# checks and takes well under a second. Must run as root (it is a no-op check
# otherwise, and fails if something is missing).
set -euo pipefail

PACKAGES=(
  libvirt-daemon
  libvirt-daemon-driver-qemu
  libvirt-clients
  qemu-system-x86
  qemu-utils
  openssh-server
  netcat-openbsd
  python3-libvirt
  sasl2-bin
  libsasl2-modules
  openssl
  chromium
)
TEST_USER=lvtest

missing=()
# One dpkg-query for all packages: prints "<name> <status>" for the known ones.
declare -A installed=()
while read -r name status; do
  [[ "$status" == "installed" ]] && installed["$name"]=1
done < <(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PACKAGES[@]}" 2>/dev/null || true)
for p in "${PACKAGES[@]}"; do
  [[ -n "${installed[$p]:-}" ]] || missing+=("$p")
done

if ((${#missing[@]} > 0)); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "harness/install.sh: missing packages (${missing[*]}) and not root: cannot install" >&2
    exit 1
  fi
  echo "harness/install.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >&2
fi

# Commands the harness calls directly: fail loudly if a package did not provide them.
for cmd in libvirtd virsh qemu-system-x86_64 runuser nc openssl saslpasswd2 chromium; do
  if ! command -v "$cmd" >/dev/null 2>&1 && [[ ! -x "/usr/sbin/$cmd" ]]; then
    echo "harness/install.sh: '$cmd' not found after installation" >&2
    exit 1
  fi
done
if [[ ! -x /usr/bin/python3 ]] || [[ ! -d /usr/lib/python3/dist-packages ]] ||
  ! ls /usr/lib/python3/dist-packages/libvirt.py >/dev/null 2>&1; then
  echo "harness/install.sh: python3-libvirt (for /usr/bin/python3) not found" >&2
  exit 1
fi

if ! id -u "$TEST_USER" >/dev/null 2>&1; then
  if [[ $(id -u) -ne 0 ]]; then
    echo "harness/install.sh: user $TEST_USER missing and not root: cannot create it" >&2
    exit 1
  fi
  echo "harness/install.sh: creating user $TEST_USER" >&2
  useradd -m -s /bin/bash "$TEST_USER"
fi
exit 0
