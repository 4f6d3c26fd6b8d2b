#!/usr/bin/env bash
# Runs the test suite on this machine, doing its own setup first: Debian's real peers (fwknopd,
# PostgreSQL, stunnel, OpenVPN, ...) when run as root or with sudo, then npm dependencies.
# Extra arguments are passed to the test runner as a file filter, e.g. `scripts/test.sh spa`.
set -euo pipefail
# shellcheck source=lib/setup.sh
source "$(dirname "$0")/lib/setup.sh"
check_node
# shellcheck disable=SC2086
apt_install_missing $VIWORKS_TEST_PEERS || true
npm_ci_if_needed
cd "$VIWORKS_ROOT"
npm run db:generate --silent
exec node scripts/run-tests.mjs unit "$@"
