#!/usr/bin/env bash
# The main job on embedded defaults, end to end on one machine (as root): installs what is missing
# (Node dependencies; Debian's openvpn, fwknop, stunnel, OpenSSH, iptables), builds, and brings up the
# lab — a router, the backend (embedded SQLite), a gateway provisioned by the backend over SSH, a
# client running viworksd, and an internal network behind the gateway — in network namespaces. Then
# it enrolls a demo device with a fleet token, logs in with the phone simulator, connects
# (SPA → pinned TLS 1.3 → OpenVPN), prints `viworks status` and the timings, and says how to
# disconnect and tear the lab down. Run it again to reconnect; `scripts/lab.sh down` removes it all.
#
#   ./scripts/quickstart.sh                 the whole product, end to end (root)
#   ./scripts/quickstart.sh --backend-only  only the backend on 127.0.0.1:8443 (no root needed)
set -euo pipefail
# shellcheck source=lib/setup.sh
source "$(dirname "$0")/lib/setup.sh"
check_node
if [ "${1:-}" = "--backend-only" ]; then
  shift
  npm_ci_if_needed
  cd "$VIWORKS_ROOT"
  log "building"
  npm run build --silent
  log "starting the ViWorkS backend (embedded SQLite)"
  exec node dist/server/bin/viworks-server.js start "$@"
fi
if [ "$(id -u)" != 0 ]; then
  die "the end-to-end demo creates network namespaces: run it as root (sudo $0), or use $0 --backend-only"
fi
# shellcheck disable=SC2086
apt_install_missing $VIWORKS_GATEWAY_PACKAGES || die "could not install the gateway packages (${VIWORKS_GATEWAY_PACKAGES})"
npm_ci_if_needed
cd "$VIWORKS_ROOT"
log "building"
npm run build --silent
exec node dist/scripts/lab/cli.js demo "$@"
