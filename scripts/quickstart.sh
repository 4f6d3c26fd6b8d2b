#!/usr/bin/env bash
# The main job on embedded defaults: installs what is missing, builds, and starts the backend on
# SQLite. It prints the URL, the backend SPKI pins and (on the first start only) the one-time
# administrator password. Stop it with Ctrl-C; data stays in the data directory it prints.
set -euo pipefail
# shellcheck source=lib/setup.sh
source "$(dirname "$0")/lib/setup.sh"
check_node
npm_ci_if_needed
cd "$VIWORKS_ROOT"
log "building"
npm run build --silent
log "starting the ViWorkS backend (embedded SQLite)"
exec node dist/server/bin/viworks-server.js start "$@"
