// The connect steps (Login OK → OTP verified → Bootstrap received → SPA sent → TLS ok → OVPN up),
// each with its mark: ✔ done, ▸ running, ✘ failed, · not yet.
import { Box, Text } from 'ink';
import type { ConnectStep, StepMark } from '../../core/localclient/index.js';

const MARK: Record<StepMark, { sign: string; color: string | undefined }> = {
  done: { sign: '✔', color: 'green' },
  running: { sign: '▸', color: 'yellow' },
  failed: { sign: '✘', color: 'red' },
  pending: { sign: '·', color: 'gray' },
};

export function StepList({ steps }: { readonly steps: readonly ConnectStep[] }) {
  return (
    <Box flexDirection="column">
      {steps.map((s) => {
        const m = MARK[s.mark];
        return (
          <Text key={s.id} color={m.color} dimColor={s.mark === 'pending'}>
            {m.sign} {s.label}
          </Text>
        );
      })}
    </Box>
  );
}
