# Shared, idempotent setup for the quick-start commands and CI. Sourced, not executed.
# - checks Node >= 20.19
# - installs Debian packages named in VIWORKS_APT_PACKAGES when any is missing (as root, or via sudo)
# - runs `npm ci` when node_modules is missing or older than package-lock.json

VIWORKS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null 2>&1; then sudo "$@"
  else return 1
  fi
}

check_node() {
  command -v node >/dev/null 2>&1 || die "Node.js >= 20.19 is required (https://nodejs.org or your distribution)"
  node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
    || die "Node.js >= 20.19 is required, found $(node --version)"
}

# Packages every test peer needs (see ../shared notes: versions verified on Debian 12). The TPM key
# store's tests run a software TPM: swtpm (+ swtpm-tools), tpm2-tools and the swtpm TCTI.
VIWORKS_TEST_PEERS="openvpn fwknop-server fwknop-client stunnel4 openssh-server openssh-client iptables iproute2 socat iperf3 postgresql redis-server openssl procps tcpdump chromium tmux nftables dnsmasq-base strace swtpm swtpm-tools tpm2-tools libtss2-tcti-swtpm0 rsyslog rsyslog-gnutls softhsm2 prometheus curl bubblewrap xvfb x11vnc websockify novnc python3-seccomp x11-utils nginx"

# What a gateway node and a client need, for the end-to-end demo (quickstart.sh) and the lab.
VIWORKS_GATEWAY_PACKAGES="openvpn fwknop-server fwknop-client stunnel4 openssh-server openssh-client iptables iproute2 openssl procps nftables dnsmasq-base tcpdump bubblewrap xvfb x11vnc websockify novnc python3-seccomp chromium nginx"

apt_install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || { log "not a Debian/Ubuntu system: install ${missing[*]} yourself"; return 1; }
  log "installing Debian packages: ${missing[*]}"
  # Tests start their own PostgreSQL, Redis, sshd, fwknopd… instances: keep Debian from starting
  # the system services during install (the standard policy-rc.d guard), so nothing holds ports.
  local guard=""
  if [ ! -e /usr/sbin/policy-rc.d ] && as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'; then
    guard=1
  fi
  local rc=0
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || rc=1
  [ -n "$guard" ] && as_root rm -f /usr/sbin/policy-rc.d
  if [ "$rc" != 0 ]; then
    log "could not install ${missing[*]} (run as root); tests that need them will be skipped outside CI"
    return 1
  fi
}

npm_ci_if_needed() {
  cd "$VIWORKS_ROOT"
  if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
    # better-sqlite3 compiles from source: it needs a C++ toolchain and python3.
    if ! command -v g++ >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1; then
      apt_install_missing g++ make python3 || die "a C++ toolchain (g++, make) and python3 are needed to build better-sqlite3"
    fi
    log "installing npm dependencies (npm ci; better-sqlite3 compiles from source, about a minute)"
    npm ci --no-audit --no-fund
  fi
}
