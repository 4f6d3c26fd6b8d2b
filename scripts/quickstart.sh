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
# Both print the admin panel's URL (https://<backend>/admin/) and where the admin's credentials are.
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
  panel="$(node dist/server/bin/viworks-server.js print-config --json 2>/dev/null | node -e '
    let s = ""; process.stdin.on("data", (c) => (s += c)).on("end", () => {
      const c = JSON.parse(s.trim().split("\n").pop());
      console.log(`https://${c.publicNames[0]}:${c.listenPort}/admin/`);
    });' 2>/dev/null)" || panel="https://localhost:8443/admin/"
  log "admin panel: ${panel} (username admin; the one-time password is in the banner below, printed once at the first start; the browser must trust the banner's root CA)"
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
rc=0
node dist/scripts/lab/cli.js demo "$@" || rc=$?
# The admin panel of the lab's backend, and the lab admin's credentials (its first login was done by
# the lab driver: a new password and a TOTP secret, in a 0600 file of the lab).
lab_id=1
while [ $# -gt 0 ]; do
  case "$1" in
    --id) lab_id="${2:-1}" ;;
    --id=*) lab_id="${1#--id=}" ;;
  esac
  shift
done
node --input-type=module -e '
  const { labPlan } = await import(process.argv[1]);
  const p = labPlan(Number(process.argv[2]));
  console.log(`\nAdmin panel: https://${p.backendName}:${p.backendPort}/admin/ (in the lab network: open it from the client namespace, e.g. scripts/lab.sh exec client -- chromium --no-sandbox URL)`);
  console.log(`  admin credentials: ${p.dirs.client}/admin-account.json (username, password, TOTP secret; root only)`);
  console.log(`  the first one-time password: ${p.dirs.backend}/first-admin.json (already changed by the lab)`);
' "$VIWORKS_ROOT/dist/scripts/lab/plan.js" "$lab_id" || true
exit "$rc"
