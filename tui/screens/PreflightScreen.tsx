// The daemon's local checks (clock, key store, OpenVPN, …) as it would run them before connecting.
import { Box, Text } from 'ink';
import type { PreflightResponse } from '../../core/localclient/index.js';
import { ErrorBox } from '../components/ErrorBox.js';
import type { ShownError } from '../errors.js';

export function PreflightScreen({
  result,
  error,
}: {
  readonly result: PreflightResponse | null;
  readonly error: ShownError | null;
}) {
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>Preflight</Text>
      {error ? <ErrorBox error={error} /> : null}
      {!result && !error ? <Text color="yellow">Running the checks…</Text> : null}
      {result ? (
        <Box flexDirection="column">
          {result.checks.map((c) => (
            <Text key={c.name} color={c.ok ? 'green' : 'red'}>
              {c.ok ? '✔' : '✘'} {c.name}: {c.detail}
              {c.code ? ` (${c.code})` : ''}
            </Text>
          ))}
          <Text bold color={result.ok ? 'green' : 'red'}>
            {result.ok ? 'Ready to connect.' : 'Not ready: fix the checks above.'}
          </Text>
        </Box>
      ) : null}
    </Box>
  );
}
