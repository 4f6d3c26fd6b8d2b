// One gateway's health as the node reported it just now: which services run, whether the node runs
// another configuration than the one applied last (drift), and whether each live session's current
// policy version is in force there (null from a node that does not report its forwarding table).
import type { GatewayHealthReplyT } from '../../../../../core/api/admin-gateways.js';

export function GatewayHealth({ h }: { readonly h: GatewayHealthReplyT }) {
  const services = Object.entries(h.health.services);
  const p = h.policy_in_effect;
  return (
    <div data-testid="gw-health">
      <ul className="plain">
        {services.map(([name, s]) => (
          <li key={name}>
            {name}:{' '}
            {s ? (
              <span className={s.running ? 'badge' : 'badge bad'}>{s.running ? 'running' : 'stopped'}</span>
            ) : (
              'not installed'
            )}
          </li>
        ))}
      </ul>
      <p>
        version {h.health.version}, {h.health.sessions.length} session(s), {h.health.spa_keys} SPA key(s);{' '}
        {h.config_drift ? <span className="badge bad">configuration drift</span> : 'configuration as applied'}
      </p>
      <p>
        Policy:{' '}
        {p === null
          ? 'not reported by this node'
          : p.in_effect
            ? 'current version in effect for every live session'
            : `behind for ${p.behind.length} session(s)${p.table_loaded ? '' : ' (forwarding table not loaded)'}`}
      </p>
    </div>
  );
}
