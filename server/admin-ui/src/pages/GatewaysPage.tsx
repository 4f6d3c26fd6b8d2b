// Gateway nodes (gateways:read): status, SSH address and pinned host key, last provisioning and last
// health; "Check health" asks the node now (services, drift, policy version in effect). With
// gateways:write: add a node (gateways/AddGatewayForm) and provision one after a confirmation.
// The API lists every gateway at once (no paging: a site has a handful).
import { useCallback, useEffect, useState } from 'react';
import type { GatewayHealthReplyT, GatewayViewT } from '../../../../core/api/admin-gateways.js';
import { type Problem, problemOf } from '../api.js';
import { ConfirmButton } from '../components/ConfirmButton.js';
import { ProblemBox } from '../components/ProblemBox.js';
import { StatusNote } from '../components/StatusNote.js';
import { When } from '../components/When.js';
import { usePanel } from '../context.js';
import { AddGatewayForm } from './gateways/AddGatewayForm.js';
import { GatewayHealth } from './gateways/GatewayHealth.js';

function lastHealth(g: GatewayViewT): string {
  if (g.last_health_ok === null) return 'not checked';
  return g.last_health_ok ? 'healthy' : 'failing';
}

export function GatewaysPage() {
  const { can, call } = usePanel();
  const [gateways, setGateways] = useState<readonly GatewayViewT[] | null>(null);
  const [health, setHealth] = useState<Readonly<Record<string, GatewayHealthReplyT>>>({});
  const [note, setNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const load = useCallback(() => {
    call((c) => c.listGateways()).then(
      (r) => setGateways(r.gateways),
      (err) => setProblem(problemOf(err)),
    );
  }, [call]);
  useEffect(load, [load]);
  const act = async (fn: () => Promise<string>) => {
    try {
      setNote(await fn());
      setProblem(null);
    } catch (err) {
      setProblem(problemOf(err));
    }
    load();
  };
  const checkHealth = (name: string) =>
    act(async () => {
      const h = await call((c) => c.gatewayHealth(name));
      setHealth((all) => ({ ...all, [name]: h }));
      return `${name}: health checked.`;
    });
  const provision = (name: string) =>
    act(async () => {
      const r = await call((c) => c.provisionGateway(name));
      return `${name} provisioned: ${r.changed ? 'configuration applied' : 'already up to date'}, ${r.spa_keys_synced} SPA key(s) synced.`;
    });
  const writes = can('gateways:write');
  return (
    <>
      <h2>Gateways</h2>
      <ProblemBox problem={problem} />
      <StatusNote note={note} />
      <div className="table-scroll">
        <table aria-busy={gateways === null} data-testid="gateways">
          <thead>
            <tr>
              {['Name', 'DNS name', 'Status', 'SSH', 'Host key', 'Provisioned', 'Health', 'Actions'].map(
                (c) => (
                  <th scope="col" key={c}>
                    {c}
                  </th>
                ),
              )}
            </tr>
          </thead>
          <tbody>
            {(gateways ?? []).map((g) => (
              <tr key={g.id} data-testid={`gateway-${g.name}`}>
                <td>{g.name}</td>
                <td>{g.fqdn}</td>
                <td>{g.status}</td>
                <td>
                  {g.ssh_user}@{g.ssh_host}:{g.ssh_port}
                </td>
                <td>
                  <code className="fingerprint" data-testid="gw-fingerprint">
                    {g.ssh_host_key_fingerprint || '—'}
                  </code>
                </td>
                <td>
                  <When iso={g.provisioned_at} />
                </td>
                <td>
                  {health[g.name] ? (
                    <GatewayHealth h={health[g.name] as GatewayHealthReplyT} />
                  ) : (
                    <>
                      {lastHealth(g)} <When iso={g.last_health_at} />
                    </>
                  )}
                </td>
                <td className="actions">
                  <button type="button" onClick={() => checkHealth(g.name)} data-testid="check-health">
                    Check health
                  </button>
                  {writes && (
                    <ConfirmButton
                      label="Provision"
                      question={`Provision ${g.name}: apply its configuration and SPA keys over SSH?`}
                      onConfirm={() => provision(g.name)}
                      testId="provision"
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {gateways?.length === 0 && <p className="muted">No gateways.</p>}
      {writes && <AddGatewayForm onAdded={(n) => act(async () => n)} />}
    </>
  );
}
