// After a one-time password: choose a new one, typed twice (masked), checked against the shared
// password policy before it is sent. Neither entry is kept once submitted.
import { Box, Text } from 'ink';
import { useState } from 'react';
import { newPasswordProblems } from '../../core/api/common.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { MaskedInput } from '../components/MaskedInput.js';
import type { ShownError } from '../errors.js';

export interface NewPasswordScreenProps {
  readonly username: string;
  readonly busy: boolean;
  readonly error: ShownError | null;
  readonly onSubmit: (next: string) => void;
  readonly onCancel: () => void;
}

export function NewPasswordScreen({ username, busy, error, onSubmit, onCancel }: NewPasswordScreenProps) {
  // The first entry waits here only until the second one is typed.
  const [first, setFirst] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const onFirst = (v: string) => {
    const problems = newPasswordProblems(username, v, false);
    if (problems.length > 0) return setProblem(problems.join('; '));
    setProblem(null);
    setFirst(v);
  };
  const onSecond = (v: string) => {
    const a = first;
    setFirst(null);
    if (v !== a) return setProblem('The two entries differ: type the new password again.');
    setProblem(null);
    onSubmit(v);
  };
  const cancel = () => {
    setFirst(null);
    onCancel();
  };
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>Your password is a one-time password: choose a new one.</Text>
      <Text dimColor>12+ characters, 6+ different, not containing your user name.</Text>
      {busy ? (
        <Text color="yellow">Changing the password and logging in again…</Text>
      ) : first === null ? (
        <MaskedInput
          key="first"
          label="New password"
          mask
          maxLength={256}
          onSubmit={onFirst}
          onCancel={cancel}
        />
      ) : (
        <MaskedInput key="again" label="Again" mask maxLength={256} onSubmit={onSecond} onCancel={cancel} />
      )}
      {problem ? <Text color="red">{problem}</Text> : null}
      {error && !busy ? <ErrorBox error={error} /> : null}
    </Box>
  );
}
