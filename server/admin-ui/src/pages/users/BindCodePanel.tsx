// A phone bind code for a user: the phone app's link (the code in its fragment) as a QR code for
// the phone's camera, and the code as text for whoever reads it out.

import type { Static } from 'typebox';
import type { BindCodeReply } from '../../../../../core/api/admin.js';
import { QrCode } from '../../components/QrCode.js';
import { When } from '../../components/When.js';

export function BindCodePanel({
  username,
  bind,
  onDone,
}: {
  readonly username: string;
  readonly bind: Static<typeof BindCodeReply>;
  readonly onDone: () => void;
}) {
  return (
    <section className="secret" aria-label={`Phone bind code for ${username}`}>
      <h3>Phone bind code for {username}</h3>
      <p>
        Scan with the phone's camera, or open the link on the phone. Valid until{' '}
        <When iso={bind.expires_at} />.
      </p>
      <QrCode text={bind.bind_url} label={`QR code of ${username}'s bind link`} testId="bind-qr" />
      <p>
        Code <code data-testid="bind-code">{bind.code}</code>
      </p>
      <button type="button" onClick={onDone}>
        Done
      </button>
    </section>
  );
}
