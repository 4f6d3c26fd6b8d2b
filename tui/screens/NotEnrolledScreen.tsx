// The daemon runs but this machine has no device key yet: enrollment is a one-time admin-guided
// step done with the CLI.
import { Box, Text } from 'ink';

export function NotEnrolledScreen() {
  return (
    <Box flexDirection="column" gap={1}>
      <Text bold color="yellow">
        This machine is not enrolled
      </Text>
      <Text>Enroll it once with the details your administrator gave you:</Text>
      <Text color="cyan">
        {' '}
        viworks enroll --backend https://… --ca root.crt --pin … --pin … --username you
      </Text>
      <Text dimColor>
        See `viworks enroll --help`. This screen changes as soon as the device is enrolled.
      </Text>
    </Box>
  );
}
