// The daemon cannot be reached: why (not running, or no permission on its socket), the fix, and
// that the TUI keeps trying on its own.
import { Box, Text } from 'ink';
import { ErrorBox } from '../components/ErrorBox.js';
import type { ShownError } from '../errors.js';

export function NotRunningScreen({
  error,
  socketPath,
}: {
  readonly error: ShownError;
  readonly socketPath: string;
}) {
  const title =
    error.code === 'VIW_E_PERMISSION_DENIED'
      ? 'No permission on the daemon socket'
      : 'The daemon is not running';
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold color="red">
        {title}
      </Text>
      <ErrorBox error={error} />
      <Text>Socket: {socketPath}</Text>
      <Text dimColor>Retrying on its own; this screen changes as soon as viworksd answers.</Text>
    </Box>
  );
}
