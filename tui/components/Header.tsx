// The top line: product, the daemon's state, the enrolled user and a version warning if any.
import { Box, Text } from 'ink';
import type { Status } from '../../core/localclient/index.js';

export function Header({
  status,
  notice,
}: {
  readonly status: Status | null;
  readonly notice?: string | null;
}) {
  return (
    <Box flexDirection="column">
      <Box justifyContent="space-between">
        <Text bold color="cyan">
          ViWorkS
        </Text>
        <Text>
          {status ? `state: ${status.state}` : 'daemon: —'}
          {status?.device ? ` · user: ${status.device.username}` : ''}
        </Text>
      </Box>
      {notice ? <Text color="yellow">{notice}</Text> : null}
    </Box>
  );
}
