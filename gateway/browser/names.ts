// Everything a sandbox is named after, derived from its session id and its slot in the pool, so a
// leftover can be found from the id alone. Names are short (interface names ≤ 15 chars) and use
// prefixes no other part of ViWorkS or its labs uses (`vwb`, never `viw*`).
import { SANDBOX_IF_PREFIX, SANDBOX_NODE_IF_PREFIX } from '../firewall/browser-viewer.js';
import { type Ipv4Net, intToIp } from '../firewall/ipv4.js';

/** Where and how sandboxes live on this node. */
export interface BrowserPaths {
  /** One JSON file per sandbox, its log and its seccomp program (root-only directory). */
  readonly stateDir: string;
  /** IPv4 pool the sandboxes' /30s are cut from (e.g. 10.255.0.0/16); refused as a target. */
  readonly pool: string;
  /** The namespace the node's network lives in; undefined: the one this process runs in. */
  readonly nodeNetns?: string;
  /** The unprivileged user the browser runs as (default 65534, nobody). */
  readonly uid?: number;
  readonly gid?: number;
  /** cgroup mount point (default /sys/fs/cgroup). */
  readonly cgroupRoot?: string;
  /** How long spawn waits for the viewer to answer (default 30 s). */
  readonly startTimeoutMs?: number;
  /** Networks of the node itself a target may never be in (its VPN pool, management network). */
  readonly refusedNetworks?: readonly string[];
}

/** The port websockify serves noVNC on, on the sandbox's own address. */
export const VIEWER_PORT = 6080;

export interface SandboxNames {
  readonly netns: string;
  /** The node's end of the veth pair (in the node's namespace). */
  readonly nodeIf: string;
  /** The sandbox's end (inside its namespace). */
  readonly sandboxIf: string;
  /** The node-side nftables table of this sandbox (family inet). */
  readonly nodeTable: string;
}

/** 40 bits of the session id: two live sessions sharing them are refused (VIW_E_CONFLICT), not merged. */
export function namesOf(id: string): SandboxNames {
  const short = id.slice(2, 12);
  return {
    netns: `vwb-${short}`,
    nodeIf: `${SANDBOX_NODE_IF_PREFIX}${short}`,
    sandboxIf: `${SANDBOX_IF_PREFIX}${short}`,
    nodeTable: `viworks_browser_${short}`,
  };
}

export interface SlotAddresses {
  /** The /30 in CIDR form. */
  readonly subnet: string;
  /** The node's end (the sandbox's default gateway). */
  readonly node: string;
  /** The sandbox's end (where its viewer listens). */
  readonly sandbox: string;
}

/** How many /30s the pool holds. */
export const slotCount = (pool: Ipv4Net): number => 2 ** (32 - pool.prefix) / 4;

/** The addresses of slot `k` (0-based) of the pool. */
export function slotAddresses(pool: Ipv4Net, k: number): SlotAddresses {
  if (!Number.isInteger(k) || k < 0 || k >= slotCount(pool))
    throw new RangeError(`slot ${k} is outside the pool`);
  const base = (pool.base + k * 4) >>> 0;
  return { subnet: `${intToIp(base)}/30`, node: intToIp(base + 1), sandbox: intToIp(base + 2) };
}
