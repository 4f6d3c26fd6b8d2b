// Connecting: the step the daemon is on, and the six steps so far.
import { Box, Text } from 'ink';
import { CONNECT_PROGRESS, connectSteps, type Status } from '../../core/localclient/index.js';
import { StepList } from '../components/StepList.js';

export function ConnectScreen({ status }: { readonly status: Status }) {
  const title = status.state === 'preflight' ? 'Preflight checks' : 'Connecting';
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold>{title}</Text>
      <Text color="yellow">{CONNECT_PROGRESS[status.state] ?? 'Starting…'}</Text>
      <StepList steps={connectSteps(status)} />
    </Box>
  );
}
