#!/usr/bin/env bash
# fleet-enroll.sh — enroll this machine into ViWorkS without a person at the keyboard (MDM jobs,
# SSH loops). Idempotent: installs and starts the daemon (`viworks daemon install`, a no-op when
# done), then enrolls with a fleet token unless the machine is already enrolled. Secrets never go
# on the command line: the token comes from --token-file or the first line of stdin, the user's
# password from the next line of stdin.
#
# Prints exactly ONE JSON line on stdout:
#   {"host":"…","ok":true|false,"device_id":"…"|null,"status":"active|pending_approval|…"|null,
#    "error":null|{"code":"VIW_E_…","message":"…","hint":"…"}}
# Exit code: 0 when ok, else the viworks exit code (2 usage, 3 auth, 4 policy, 5 network,
# 6 daemon unavailable, 7 internal; docs/cli.md).
#
# usage: fleet-enroll.sh --backend URL --ca FILE --pin PRIMARY --pin BACKUP --username USER
#                        [--token-file FILE] [--no-install] [--viworks CMD]
#        stdin: [token, when no --token-file] then the user's password, one per line
#
# Example: an SSH loop over "host user" lines (host keys are checked; never disable that), with the
# passwords in a password manager and the token created by
# `viworks admin enrollment-tokens create --max-uses 50 --expires-in 1d --auto-approve --out fleet.token`:
#
#   while read -r host user; do
#     { cat fleet.token; pass show "viworks/$user"; } |
#       ssh -o BatchMode=yes "$host" sudo /opt/viworks/scripts/fleet-enroll.sh \
#         --backend https://vpn.example.com:8443 --ca /etc/viworks/root.crt \
#         --pin "$PIN1" --pin "$PIN2" --username "$user"
#   done < hosts.txt > enroll-results.ndjson
set -u -o pipefail

VIWORKS=${VIWORKS:-viworks}
backend='' ca='' username='' token_file='' install=1
pins=()

usage() {
  sed -n '/^# usage:/,/^#  *stdin:/p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit "${1:-2}"
}

while [ $# -gt 0 ]; do
  case "$1" in
    --backend) backend=${2:-}; shift 2 ;;
    --ca) ca=${2:-}; shift 2 ;;
    --pin) pins+=("--pin" "${2:-}"); shift 2 ;;
    --username) username=${2:-}; shift 2 ;;
    --token-file) token_file=${2:-}; shift 2 ;;
    --no-install) install=0; shift ;;
    --viworks) VIWORKS=${2:-}; shift 2 ;;
    -h | --help) usage 0 ;;
    *) echo "fleet-enroll.sh: unknown argument $1" >&2; usage ;;
  esac
done

host=$(hostname -f 2>/dev/null || hostname)

# report OK JSON: the one output line, built from the last viworks --json result (never a secret).
report() {
  HOST="$host" OK="$1" OUT="${2:-}" node -e '
    let r = {};
    try { r = JSON.parse(process.env.OUT.trim().split("\n").pop() || "{}"); } catch {}
    const d = r.device || null;
    const ok = process.env.OK === "true";
    const e = r.error || (ok ? null : { code: "VIW_E_INTERNAL", message: "viworks gave no result", hint: "Check that viworks is installed and on PATH." });
    process.stdout.write(JSON.stringify({
      host: process.env.HOST, ok, device_id: d ? d.device_id : null, status: d ? d.status : null,
      error: e && { code: e.code, message: e.message, hint: e.hint },
    }) + "\n");'
}

# vw ARGS…: runs one viworks command with --json; its stdout in $out, its exit code in $rc.
vw() {
  out=$($VIWORKS "$@" --json 2>/dev/null)
  rc=$?
}

fail() {
  report false "$out"
  exit "$rc"
}

if [ -z "$backend" ] || [ -z "$ca" ] || [ -z "$username" ] || [ ${#pins[@]} -ne 4 ]; then
  out='{"error":{"code":"VIW_E_VALIDATION","message":"--backend, --ca, two --pin and --username are required","hint":"See the usage at the top of fleet-enroll.sh."}}'
  rc=2
  fail
fi

if [ "$install" = 1 ]; then
  vw daemon install
  [ "$rc" -eq 0 ] || fail
fi

# The daemon may still be starting: wait up to 30 s for its socket to answer.
for _ in $(seq 1 30); do
  vw device show
  [ "$rc" -ne 6 ] && break
  sleep 1
done
[ "$rc" -eq 0 ] || fail

# Already enrolled (and not unbound): report it, send nothing.
if OUT="$out" node -e 'const r = JSON.parse(process.env.OUT); process.exit(r.enrolled && r.device.status !== "revoked" ? 0 : 1)'; then
  report true "$out"
  exit 0
fi

vw enroll --backend "$backend" --ca "$ca" "${pins[@]}" --username "$username" \
  --token-file "${token_file:--}" --password-stdin
[ "$rc" -eq 0 ] || fail
report true "$out"
