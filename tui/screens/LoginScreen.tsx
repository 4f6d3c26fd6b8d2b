// Step 1: the password (masked). It goes straight to the daemon's login call and is not kept.
import { Box, Text } from 'ink';
import { ErrorBox } from '../components/ErrorBox.js';
import { MaskedInput } from '../components/MaskedInput.js';
import type { ShownError } from '../errors.js';

export interface LoginScreenProps {
  readonly username: string;
  readonly busy: boolean;
  readonly error: ShownError | null;
  readonly onSubmit: (password: string) => void;
  readonly onCancel: () => void;
}

export function LoginScreen({ username, busy, error, onSubmit, onCancel }: LoginScreenProps) {
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>Log in as {username}</Text>
      {busy ? (
        <Text color="yellow">Logging in…</Text>
      ) : (
        <MaskedInput label="Password" mask maxLength={256} onSubmit={onSubmit} onCancel={onCancel} />
      )}
      {error && !busy ? <ErrorBox error={error} /> : null}
    </Box>
  );
}
