// The Devices page's Posture cell: the hardening declared at the device's last completed login.
import type { DeviceViewT } from '../../../../../core/api/admin.js';
import { postureLabel } from './posture-label.js';

export function PostureCell({ posture }: { readonly posture: DeviceViewT['posture'] }) {
  const label = postureLabel(posture);
  if (label.tone === 'none') return <span className="muted">{label.text}</span>;
  return (
    <span
      className={label.tone === 'ok' ? 'badge' : 'badge warn'}
      title={label.detail ?? undefined}
      data-testid="posture"
    >
      {label.text}
    </span>
  );
}
