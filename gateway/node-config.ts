// The node's own configuration (gw.json): facts about this machine (interfaces, listen address,
// where every file lives) that the backend never sends, plus where viworks-gw keeps its state and
// audit log, how services are run, and which binaries to execute. It is read on every request, so
// it is validated every time — a bad file fails with one clear VIW_E_CONFIG and changes nothing.
import { closeSync, fstatSync, openSync, readFileSync } from 'node:fs';
import { type Static, Type } from 'typebox';
import { ViworksError } from '../core/errors/viworks-error.js';
import { closed, strictValidator } from '../core/schema/strict.js';
import { type NodeFacts, validateNodeFacts } from './render/node-facts.js';

/** Absolute path, no `..` segment, no whitespace or shell metacharacters (they end up in configs). */
const AbsPath = Type.String({
  minLength: 2,
  maxLength: 255,
  pattern: '^(/[A-Za-z0-9._@+-]+)+$',
});
const Account = Type.Union([
  Type.Object(
    {
      user: Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$' }),
      group: Type.String({ pattern: '^[a-z_][a-z0-9_-]{0,31}$' }),
    },
    closed,
  ),
  Type.Null(),
]);

// Mirrors NodePaths (gateway/render/node-facts.ts) key for key.
const NodePathsSchema = Type.Object(
  {
    fwknopdConf: AbsPath,
    accessConf: AbsPath,
    fwknopRunDir: AbsPath,
    stunnelConf: AbsPath,
    stunnelCert: AbsPath,
    stunnelKey: AbsPath,
    stunnelPid: AbsPath,
    stunnelLog: AbsPath,
    clientCa: AbsPath,
    crl: AbsPath,
    openvpnConf: AbsPath,
    openvpnCa: AbsPath,
    openvpnCert: AbsPath,
    openvpnKey: AbsPath,
    tlsCryptKey: AbsPath,
    ccdDir: AbsPath,
    openvpnMgmtSocket: AbsPath,
    openvpnPid: AbsPath,
    openvpnStatus: AbsPath,
    openvpnLog: AbsPath,
    iptablesRules: AbsPath,
  },
  closed,
);

const NodeFactsSchema = Type.Object(
  {
    spaInterface: Type.String({ pattern: '^[A-Za-z0-9._-]{1,15}$' }),
    listenAddress: Type.String({ pattern: '^[0-9]{1,3}(\\.[0-9]{1,3}){3}$' }),
    openvpnPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    sshPort: Type.Integer({ minimum: 1, maximum: 65535 }),
    openvpnUser: Account,
    stunnelUser: Account,
    paths: NodePathsSchema,
  },
  closed,
);

export const NodeConfigSchema = Type.Object(
  {
    v: Type.Literal(1),
    facts: NodeFactsSchema,
    state_dir: AbsPath,
    audit_log: AbsPath,
    service_mode: Type.Union([Type.Literal('direct'), Type.Literal('systemd')]),
    binaries: Type.Object(
      {
        fwknopd: AbsPath,
        stunnel: AbsPath,
        openvpn: AbsPath,
        iptables: AbsPath,
        iptables_restore: AbsPath,
        /** Per-session forwarding rules (session_filter); default /usr/sbin/nft. */
        nft: Type.Optional(AbsPath),
      },
      closed,
    ),
  },
  closed,
);
type NodeConfigDoc = Static<typeof NodeConfigSchema>;
export type NodeConfig = Omit<NodeConfigDoc, 'facts'> & { readonly facts: NodeFacts };

const nodeConfigValidator = strictValidator(NodeConfigSchema);
const MAX_CONFIG_BYTES = 64 * 1024;

/** Validates a parsed gw.json document; throws VIW_E_CONFIG naming the failing paths. */
export function parseNodeConfig(doc: unknown): NodeConfig {
  const cfg = nodeConfigValidator.parse(doc, 'VIW_E_CONFIG');
  for (const p of [cfg.state_dir, cfg.audit_log, ...Object.values(cfg.facts.paths)]) {
    if (p.split('/').some((seg) => seg === '.' || seg === '..')) {
      throw new ViworksError('VIW_E_CONFIG', { details: [`path with a . or .. segment: ${p}`] });
    }
  }
  // The renderers own the semantic checks on facts (distinct paths, sane ports...).
  return { ...cfg, facts: validateNodeFacts(cfg.facts) };
}

/**
 * Reads gw.json. It decides which binaries run as root and where secrets are written, so a file
 * that anyone but root could have changed is refused (checked on the opened descriptor, not the
 * path, so the file checked is the file read).
 */
export function loadNodeConfig(path: string): NodeConfig {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json cannot be opened'], cause: err });
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json is not a regular file'] });
    if (st.uid !== 0) throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json is not owned by root'] });
    if ((st.mode & 0o022) !== 0) {
      throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json is group- or world-writable'] });
    }
    if (st.size > MAX_CONFIG_BYTES)
      throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json too large'] });
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new ViworksError('VIW_E_CONFIG', { details: ['gw.json is not valid JSON'] });
  }
  return parseNodeConfig(doc);
}
