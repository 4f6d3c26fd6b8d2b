// The lab's shape, derived from one small number (the lab id) so that `lab down` in another process
// finds exactly what `lab up` made. Four namespaces joined the way real hosts are: a router standing
// for the internet, and behind it the backend, the gateway and the client, each on its own /30 with a
// default route via the router. Nothing is configured in the host's own namespace.
//
//   client 10.231.N.2 ── .1 ┐            ┌ .5 ── 10.231.N.6 gateway (sshd :2222, fwknopd, stunnel :443,
//                           router (net)                       OpenVPN 127.0.0.1:1194, tun 10.232.N.1)
//   backend 10.231.N.10 ─ .9 ┘                                  │ .1 (10.233.N.0/24, internal)
//                                                       internal service 10.233.N.10:8080
//                                                                 │ .1 (10.234.N.0/24, internal B)
//                                                       internal B service 10.234.N.10:8080
//
// The internal service stands for what users connect for: it is reachable only through the tunnel
// (the gateway forwards the policy's pushed route 10.233.N.0/24, nothing else; no other host has a
// route to it). Internal B is a second network behind the gateway, for access policies (issue #14):
// a split-tunnel policy reaches one network and not the other.
// The client resolves the gateway and backend names through /etc/netns/<client>/hosts, which
// `ip netns exec` mounts over /etc/hosts for every process it starts there.
import { join } from 'node:path';

export const LAB_ROOT = '/run/viworks-lab';
export const GATEWAY_FQDN_SUFFIX = 'lab.viworks.test';

export interface HostPlan {
  readonly ns: string;
  /** This host's veth (inside `ns`). */
  readonly ifname: string;
  readonly address: string;
  /** The router's end of this host's link (in the router namespace). */
  readonly routerIf: string;
  readonly routerAddress: string;
}

export interface InternalNetwork {
  readonly ns: string;
  readonly network: string;
  readonly gatewayIf: string;
  readonly gatewayAddress: string;
  readonly ifname: string;
  readonly address: string;
}

export interface LabPlan {
  readonly id: number;
  readonly dir: string;
  readonly router: { readonly ns: string };
  readonly client: HostPlan;
  readonly gateway: HostPlan;
  readonly backend: HostPlan;
  readonly gatewayFqdn: string;
  readonly backendName: string;
  readonly backendPort: number;
  /** A private network behind the gateway, with one service on it (pushed as a policy route). */
  readonly internal: InternalNetwork;
  /** A second one (policies: reach A and not B). */
  readonly internalB: InternalNetwork;
  /** OpenVPN client pool on the gateway; its first address is the gateway's tunnel address. */
  readonly vpnNetwork: string;
  readonly vpnGatewayAddress: string;
  /** The internal service's port (on internal.address): proof that traffic went through the tunnel. */
  readonly tunnelServicePort: number;
  /**
   * The lab's DNS (issue #12): a resolver behind the gateway (the policy's pushed one, reached only
   * through the tunnel) and a "LAN" resolver on the router (the client's own before it connects),
   * each answering the canary name with an address of its own, so a lookup tells who answered.
   */
  readonly dns: {
    readonly tunnelResolver: string;
    readonly lanResolver: string;
    readonly canaryName: string;
    readonly tunnelAnswer: string;
    readonly lanAnswer: string;
    readonly searchDomain: string;
    /** The client's resolver file: `ip netns exec` mounts it over /etc/resolv.conf. */
    readonly clientResolvConf: string;
  };
  /** The captive portal probe's target on the router: 204, or a portal's redirect while flagFile exists. */
  readonly captive: { readonly host: string; readonly port: number; readonly flagFile: string };
  /** A plain service on the router ("the internet" next door): reachable only with no switch in the way. */
  readonly routerService: { readonly host: string; readonly port: number };
  /**
   * Three more addresses on the client's link (10.236.N.1–3/32, routed back by the router), each an
   * AS of its own in the extra-ranges file: "someone elsewhere" for the SIEM test plan (credential
   * stuffing from three ASNs, docs/detections.md).
   */
  readonly farSources: readonly {
    readonly address: string;
    readonly asn: number;
    readonly country: string;
  }[];
  readonly dirs: {
    readonly backend: string;
    readonly gateway: string;
    readonly client: string;
    /** The simulated phone's files (its binding state, its attestation identity): another device. */
    readonly phone: string;
    readonly logs: string;
  };
}

export function assertLabId(id: number): number {
  if (!Number.isInteger(id) || id < 1 || id > 250) throw new Error('lab id must be an integer 1..250');
  return id;
}

function host(id: number, role: string, third: number, hostOctet: number): HostPlan {
  return {
    ns: `viwlab${id}-${role}`,
    ifname: `vl${id}${role}`,
    address: `10.231.${id}.${hostOctet}`,
    routerIf: `vl${id}r${role}`,
    routerAddress: `10.231.${id}.${third}`,
  };
}

export function labPlan(idIn: number): LabPlan {
  const id = assertLabId(idIn);
  const dir = join(LAB_ROOT, String(id));
  return {
    id,
    dir,
    router: { ns: `viwlab${id}-net` },
    client: host(id, 'cl', 1, 2),
    gateway: host(id, 'gw', 5, 6),
    backend: host(id, 'be', 9, 10),
    internal: {
      ns: `viwlab${id}-in`,
      network: `10.233.${id}.0/24`,
      gatewayIf: `vl${id}gin`,
      gatewayAddress: `10.233.${id}.1`,
      ifname: `vl${id}in`,
      address: `10.233.${id}.10`,
    },
    internalB: {
      ns: `viwlab${id}-ib`,
      network: `10.234.${id}.0/24`,
      gatewayIf: `vl${id}gib`,
      gatewayAddress: `10.234.${id}.1`,
      ifname: `vl${id}ib`,
      address: `10.234.${id}.10`,
    },
    gatewayFqdn: `gw${id}.${GATEWAY_FQDN_SUFFIX}`,
    backendName: `backend${id}.${GATEWAY_FQDN_SUFFIX}`,
    backendPort: 8443,
    vpnNetwork: `10.232.${id}.0/24`,
    vpnGatewayAddress: `10.232.${id}.1`,
    tunnelServicePort: 8080,
    dns: {
      tunnelResolver: `10.233.${id}.10`,
      lanResolver: `10.231.${id}.1`,
      canaryName: `canary.${GATEWAY_FQDN_SUFFIX}`,
      tunnelAnswer: `10.233.${id}.250`,
      lanAnswer: `10.231.${id}.250`,
      searchDomain: `corp.${GATEWAY_FQDN_SUFFIX}`,
      clientResolvConf: `/etc/netns/viwlab${id}-cl/resolv.conf`,
    },
    captive: { host: `10.231.${id}.1`, port: 8081, flagFile: join(dir, 'captive-portal-on') },
    routerService: { host: `10.231.${id}.1`, port: 8082 },
    farSources: [
      { address: `10.236.${id}.1`, asn: 64511, country: 'RO' },
      { address: `10.236.${id}.2`, asn: 64512, country: 'BR' },
      { address: `10.236.${id}.3`, asn: 64513, country: 'VN' },
    ],
    dirs: {
      backend: join(dir, 'backend'),
      gateway: join(dir, 'gateway'),
      client: join(dir, 'client'),
      phone: join(dir, 'phone'),
      logs: join(dir, 'logs'),
    },
  };
}

export const ALL_HOSTS = ['client', 'gateway', 'backend'] as const;
export type HostRole = (typeof ALL_HOSTS)[number];

export function namespaces(plan: LabPlan): string[] {
  return [plan.router.ns, ...ALL_HOSTS.map((h) => plan[h].ns), plan.internal.ns, plan.internalB.ns];
}
