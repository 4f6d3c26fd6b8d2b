#!/usr/bin/env bash
# Runs the test suite on this machine, doing its own setup first: Debian's real peers (fwknopd,
# PostgreSQL, stunnel, OpenVPN, ...) when run as root or with sudo, then npm dependencies.
# Extra arguments are passed to the test runner as a file filter, e.g. `scripts/test.sh spa` (unit
# tests only). Without arguments, as root (or in CI), the end-to-end suite runs after the unit tests.
set -euo pipefail
# shellcheck source=lib/setup.sh
source "$(dirname "$0")/lib/setup.sh"
check_node
# shellcheck disable=SC2086
apt_install_missing $VIWORKS_TEST_PEERS || true
npm_ci_if_needed
cd "$VIWORKS_ROOT"
npm run db:generate --silent
node scripts/run-tests.mjs unit "$@"
# The end-to-end suite builds the lab in network namespaces: it needs root. With a file filter, or
# without root outside CI, only the unit run above happens.
if [ $# -eq 0 ] && { [ "$(id -u)" = 0 ] || [ "${CI:-}" = true ]; }; then
  log "end-to-end suite (the namespace lab: backend, gateway over SSH, client)"
  npm run test:e2e --silent
fi
