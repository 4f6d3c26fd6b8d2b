// A failure as the user sees it: the message and the fix-it hint, then the diagnostic code to copy
// for support. Redacted by construction: a ShownError has no details, cause or stack.
import { Box, Text } from 'ink';
import { diagnosticCode, type ShownError } from '../errors.js';

export function ErrorBox({ error }: { readonly error: ShownError }) {
  return (
    <Box flexDirection="column" borderStyle="round" borderColor="red" paddingX={1}>
      <Text color="red">✘ {error.message}</Text>
      <Text>{error.hint}</Text>
      <Text>
        Diagnostic code: <Text bold>{diagnosticCode(error)}</Text>
      </Text>
    </Box>
  );
}
