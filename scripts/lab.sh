#!/usr/bin/env bash
# The network-namespace lab (scripts/lab/): router, backend, gateway and client on one machine.
#   scripts/lab.sh up | demo | status | down | exec <client|gateway|backend|router|internal|internal-b> -- CMD...
# Runs as root. Uses the built JavaScript (dist/); `npm run build` first (quickstart.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f dist/scripts/lab/cli.js ] || { echo "lab.sh: dist/ is missing: run npm run build" >&2; exit 2; }
exec node dist/scripts/lab/cli.js "$@"
