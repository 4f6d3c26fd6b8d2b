// Registers a gateway node (gateways:write): its name, DNS name, addresses, SSH address and port,
// and its SSH host key pasted as the node's OpenSSH public key line — pinned, never trusted on first
// use; the panel turns it into the fingerprint the API takes and refuses a malformed line before
// sending. Beside it, the backend's control key the administrator installs in the node's
// authorized_keys before provisioning. A split tunnel waits for a second administrator (202).
import { type FormEvent, useEffect, useState } from 'react';
import type { AddGatewayBodyT } from '../../../../../core/api/admin-gateways.js';
import { type Problem, problemOf } from '../../api.js';
import { CopyButton } from '../../components/CopyButton.js';
import { Field } from '../../components/Field.js';
import { ProblemBox } from '../../components/ProblemBox.js';
import { usePanel } from '../../context.js';
import { hostKeyFingerprint, parseHostKeyLine } from './host-key.js';

const list = (s: string) =>
  s
    .split(/[\s,]+/)
    .map((x) => x.trim())
    .filter(Boolean);

export function AddGatewayForm({ onAdded }: { readonly onAdded: (note: string) => void }) {
  const { call } = usePanel();
  const [name, setName] = useState('');
  const [fqdn, setFqdn] = useState('');
  const [addresses, setAddresses] = useState('');
  const [sshHost, setSshHost] = useState('');
  const [sshPort, setSshPort] = useState('22');
  const [hostKey, setHostKey] = useState('');
  const [cidrs, setCidrs] = useState('');
  const [fullTunnel, setFullTunnel] = useState(true);
  const [controlKey, setControlKey] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    call((c) => c.gatewayControlKey()).then(
      (r) => setControlKey(r.public_key),
      (err) => setProblem(problemOf(err)),
    );
  }, [call]);
  const parsedKey = hostKey.trim() ? parseHostKeyLine(hostKey) : null;
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!parsedKey?.ok) return;
    setBusy(true);
    try {
      const body: AddGatewayBodyT = {
        name: name.trim(),
        fqdn: fqdn.trim(),
        addresses: list(addresses),
        ssh_host: sshHost.trim(),
        ssh_port: Number(sshPort),
        ssh_host_key_fingerprint: await hostKeyFingerprint(parsedKey.blob),
        settings: { backend_cidrs: list(cidrs), redirect_gateway: fullTunnel },
      };
      const r = await call((c) => c.addGateway(body));
      setProblem(null);
      onAdded(
        'gateway' in r
          ? `Gateway ${r.gateway.name} registered, host key ${r.gateway.ssh_host_key_fingerprint}.`
          : `Gateway ${body.name} waits for a second administrator's approval (a split tunnel).`,
      );
      setName('');
      setHostKey('');
    } catch (err) {
      setProblem(problemOf(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="inline-form" onSubmit={submit} aria-label="Add a gateway">
      <h3>Add a gateway</h3>
      <ProblemBox problem={problem} />
      <Field
        label="Name"
        value={name}
        onChange={setName}
        required
        pattern="[a-z0-9][a-z0-9\-]{0,62}"
        testId="gw-name"
      />
      <Field
        label="DNS name"
        value={fqdn}
        onChange={setFqdn}
        required
        placeholder="gw.example.com"
        testId="gw-fqdn"
      />
      <Field
        label="Addresses"
        value={addresses}
        onChange={setAddresses}
        required
        placeholder="203.0.113.7"
        testId="gw-addresses"
      />
      <Field label="SSH host" value={sshHost} onChange={setSshHost} required testId="gw-ssh-host" />
      <Field
        label="SSH port"
        type="number"
        min={1}
        max={65535}
        value={sshPort}
        onChange={setSshPort}
        required
        testId="gw-ssh-port"
      />
      <Field
        label="Backend CIDRs"
        value={cidrs}
        onChange={setCidrs}
        required
        placeholder="10.0.0.2/32"
        testId="gw-cidrs"
      />
      <label>
        <input
          type="checkbox"
          checked={fullTunnel}
          onChange={(e) => setFullTunnel(e.target.checked)}
          data-testid="gw-full-tunnel"
        />
        Full tunnel (all client traffic through the gateway)
      </label>
      <label>
        SSH host key (the node's /etc/ssh/ssh_host_ed25519_key.pub, read on the node)
        <textarea
          value={hostKey}
          onChange={(e) => setHostKey(e.target.value)}
          rows={2}
          required
          data-testid="gw-host-key"
        />
      </label>
      {parsedKey && !parsedKey.ok && (
        <p className="error" role="alert" data-testid="gw-host-key-problem">
          {parsedKey.why}
        </p>
      )}
      <button type="submit" className="primary" disabled={busy || !parsedKey?.ok} data-testid="add-gateway">
        Add gateway
      </button>
      {controlKey && (
        <p>
          Before provisioning, add the backend's control key to the node's authorized_keys:{' '}
          <code data-testid="gw-control-key">{controlKey}</code>{' '}
          <CopyButton text={controlKey} testId="gw-copy-control-key" />
        </p>
      )}
    </form>
  );
}
