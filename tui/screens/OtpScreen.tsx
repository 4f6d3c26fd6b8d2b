// Step 2: the 6-digit code shown on the user's phone, with the time left on it.
import { Box, Text } from 'ink';
import { Countdown } from '../components/Countdown.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { MaskedInput } from '../components/MaskedInput.js';
import type { ShownError } from '../errors.js';

export interface OtpScreenProps {
  readonly expiresAt: string | null;
  readonly busy: boolean;
  readonly error: ShownError | null;
  readonly onSubmit: (code: string) => void;
  readonly onCancel: () => void;
  /** Fixed time for tests; the countdown ticks on its own otherwise. */
  readonly now?: number;
}

const isDigit = (ch: string) => ch >= '0' && ch <= '9';

export function OtpScreen({ expiresAt, busy, error, onSubmit, onCancel, now }: OtpScreenProps) {
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>Login OK. Enter the code shown on your phone.</Text>
      {expiresAt ? <Countdown expiresAt={expiresAt} {...(now === undefined ? {} : { now })} /> : null}
      {busy ? (
        <Text color="yellow">Checking the code…</Text>
      ) : (
        <MaskedInput label="Code" maxLength={6} accept={isDigit} onSubmit={onSubmit} onCancel={onCancel} />
      )}
      {error && !busy ? <ErrorBox error={error} /> : null}
    </Box>
  );
}
