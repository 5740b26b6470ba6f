#!/usr/bin/env bash
# `npm start [-- URI]`: the main job. With no URI (and no LIBVIRT_DEFAULT_URI) it
# installs what the embedded daemon needs and starts a private libvirtd first.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ ! -d node_modules ]]; then npm install --no-audit --no-fund; fi
if [[ $# -eq 0 && -z "${LIBVIRT_DEFAULT_URI:-}" ]]; then bash harness/install.sh; fi
exec npx tsx scripts/start.ts "$@"
