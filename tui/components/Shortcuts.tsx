// The keys that do something on the current screen, always shown at the bottom.
import { Box, Text } from 'ink';

export interface Shortcut {
  readonly key: string;
  readonly label: string;
}

export function Shortcuts({ keys }: { readonly keys: readonly Shortcut[] }) {
  return (
    <Box flexWrap="wrap" columnGap={2}>
      {keys.map((k) => (
        <Text key={k.key}>
          <Text bold color="cyan">
            [{k.key}]
          </Text>{' '}
          {k.label}
        </Text>
      ))}
    </Box>
  );
}
