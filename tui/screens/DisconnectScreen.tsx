// Not connected: disconnecting right now, or at rest (after a disconnect, a failure, or at start),
// after a failure with the steps up to the one that failed, and the error.
import { Box, Text } from 'ink';
import { connectSteps, type Status } from '../../core/localclient/index.js';
import { ErrorBox } from '../components/ErrorBox.js';
import { StepList } from '../components/StepList.js';
import type { ShownError } from '../errors.js';

export function DisconnectScreen({
  status,
  error,
}: {
  readonly status: Status;
  readonly error: ShownError | null;
}) {
  if (status.state === 'disconnecting') {
    return (
      <Box flexDirection="column" gap={1}>
        <Text bold color="yellow">
          Disconnecting…
        </Text>
      </Box>
    );
  }
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>Disconnected</Text>
      {status.state === 'error' ? <StepList steps={connectSteps(status)} /> : null}
      {error ? <ErrorBox error={error} /> : null}
      <Text>Press c to connect.</Text>
    </Box>
  );
}
