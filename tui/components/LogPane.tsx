// The daemon's log, newest at the bottom: as many lines as `height` allows, each cut to the width.
import { Box, Text } from 'ink';
import type { LogLine } from '../../core/localclient/index.js';
import type { NumberedLine } from '../hooks/useDaemonLogs.js';

const COLOR: Record<LogLine['level'], string | undefined> = {
  debug: 'gray',
  info: undefined,
  warn: 'yellow',
  error: 'red',
};

/** "12:34:56 info  [state] message" (the time of day only: the pane is narrow). */
export function formatLogLine(l: LogLine): string {
  const time = l.at.length >= 19 ? l.at.slice(11, 19) : l.at;
  return `${time} ${l.level.padEnd(5)} ${l.state ? `[${l.state}] ` : ''}${l.msg}`;
}

export function LogPane({
  lines,
  height,
}: {
  readonly lines: readonly NumberedLine[];
  readonly height: number;
}) {
  const shown = lines.slice(-Math.max(1, height));
  return (
    <Box flexDirection="column" borderStyle="single" borderColor="gray" paddingX={1}>
      <Text bold>Daemon log</Text>
      {shown.length === 0 ? <Text dimColor>(no lines yet)</Text> : null}
      {shown.map(({ seq, line }) => (
        <Text key={seq} color={COLOR[line.level]} wrap="truncate-end">
          {formatLogLine(line)}
        </Text>
      ))}
    </Box>
  );
}
