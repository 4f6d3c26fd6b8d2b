// The whole TUI: the header, the screen for where the daemon stands (its watch stream decides; the
// user's dialogue — password, code, new password — only fills the gaps between states), the
// daemon's log pane and the shortcut bar. The layout follows the terminal's size: the log pane
// takes a third of the rows, the screen the rest; text wraps or truncates to the width.
import { Box, Text, useApp, useInput } from 'ink';
import { useEffect, useState } from 'react';
import type { ConnectionState } from '../core/api/local.js';
import type { Status } from '../core/localclient/index.js';
import type { TuiClient } from './client.js';
import { Header } from './components/Header.js';
import { LogPane } from './components/LogPane.js';
import { type Shortcut, Shortcuts } from './components/Shortcuts.js';
import type { ShownError } from './errors.js';
import { type ConnectFlow, useConnectFlow } from './hooks/useConnectFlow.js';
import { useDaemonLogs } from './hooks/useDaemonLogs.js';
import { useDaemonStatus } from './hooks/useDaemonStatus.js';
import { useTerminalSize } from './hooks/useTerminalSize.js';
import { ConnectedScreen } from './screens/ConnectedScreen.js';
import { ConnectScreen } from './screens/ConnectScreen.js';
import { DisconnectScreen } from './screens/DisconnectScreen.js';
import { LoginScreen } from './screens/LoginScreen.js';
import { NewPasswordScreen } from './screens/NewPasswordScreen.js';
import { NotEnrolledScreen } from './screens/NotEnrolledScreen.js';
import { NotRunningScreen } from './screens/NotRunningScreen.js';
import { OtpScreen } from './screens/OtpScreen.js';
import { PreflightScreen } from './screens/PreflightScreen.js';

export interface AppProps {
  readonly client: TuiClient;
  /** A one-line warning for the header (the daemon's version differs). */
  readonly notice?: string | null;
  /** Told every state the daemon reports (renderTui returns the last one). */
  readonly onState?: (state: ConnectionState) => void;
  /** How long to wait before opening a lost stream again. */
  readonly retryMs?: number;
}

const CONNECTING: ReadonlySet<ConnectionState> = new Set([
  'bootstrapping',
  'preflight',
  'spa',
  'tls',
  'openvpn',
]);
const RESTING: ReadonlySet<ConnectionState> = new Set(['enrolled', 'error']);

type Screen =
  | 'loading'
  | 'not-running'
  | 'not-enrolled'
  | 'login'
  | 'otp'
  | 'new-password'
  | 'preflight'
  | 'connect'
  | 'connected'
  | 'disconnect';

/** Which screen: the daemon's state first, the user's dialogue when the daemon is at rest. */
export function screenFor(status: Status, flow: Pick<ConnectFlow, 'phase'>): Screen {
  if (!status.device) return 'not-enrolled';
  if (status.state === 'connected') return 'connected';
  if (CONNECTING.has(status.state)) return 'connect';
  if (status.state === 'otp_pending') return 'otp';
  if (status.state === 'logging_in') return 'login';
  if (status.state === 'disconnecting') return 'disconnect';
  if (flow.phase === 'password' || flow.phase === 'new-password' || flow.phase === 'preflight') {
    return flow.phase === 'password' ? 'login' : flow.phase;
  }
  if (flow.phase === 'connecting' && status.state === 'enrolled') return 'connect';
  return 'disconnect';
}

/** Screens with a text field: single keys are typed into it, not taken as shortcuts. */
const TYPING: ReadonlySet<Screen> = new Set(['login', 'otp', 'new-password']);

function shortcutsFor(screen: Screen, showLogs: boolean): Shortcut[] {
  const logs = { key: 'l', label: showLogs ? 'hide logs' : 'logs' };
  const quit = { key: 'q', label: 'quit' };
  if (TYPING.has(screen))
    return [
      { key: 'Enter', label: 'submit' },
      { key: 'Esc', label: 'cancel' },
      { key: 'Ctrl-C', label: 'quit' },
    ];
  if (screen === 'connected' || screen === 'connect') return [{ key: 'd', label: 'disconnect' }, logs, quit];
  if (screen === 'disconnect' || screen === 'preflight')
    return [{ key: 'c', label: 'connect' }, { key: 'p', label: 'preflight' }, logs, quit];
  return [quit];
}

export function App({ client, notice = null, onState, retryMs = 2000 }: AppProps) {
  const { exit } = useApp();
  const { rows, columns } = useTerminalSize();
  const view = useDaemonStatus(client, retryMs);
  const [showLogs, setShowLogs] = useState(true);
  const live = view.kind === 'status';
  const logs = useDaemonLogs(client, showLogs && live, 200, retryMs);
  const flow = useConnectFlow(client);
  const status = view.kind === 'status' ? view.status : null;

  useEffect(() => {
    if (status) onState?.(status.state);
  }, [status, onState]);

  const screen: Screen =
    view.kind === 'connecting'
      ? 'loading'
      : view.kind === 'unavailable'
        ? 'not-running'
        : screenFor(view.status, flow);

  useInput(
    (input) => {
      if (input === 'q') return exit();
      if (input === 'l') return setShowLogs((v) => !v);
      const s = status?.state;
      if (input === 'c' && s && RESTING.has(s) && status?.device) return flow.connect();
      if (input === 'p' && s && RESTING.has(s) && status?.device) return flow.runPreflight();
      if (input === 'd' && (screen === 'connected' || screen === 'connect')) return flow.disconnect();
    },
    { isActive: !TYPING.has(screen) },
  );

  // Only the daemon's own error when it is at rest in 'error'; the dialogue's error otherwise.
  const error: ShownError | null = flow.error ?? (status?.state === 'error' ? status.last_error : null);
  const username = status?.device?.username ?? '?';
  const logRows = Math.max(3, Math.floor(rows / 3) - 3);

  return (
    <Box flexDirection="column" width={columns} paddingX={1}>
      <Header status={status} notice={notice} />
      <Box flexDirection="column" flexGrow={1} marginY={1}>
        {screen === 'loading' ? <Text>Connecting to viworksd…</Text> : null}
        {view.kind === 'unavailable' ? (
          <NotRunningScreen error={view.error} socketPath={client.socketPath} />
        ) : null}
        {screen === 'not-enrolled' ? <NotEnrolledScreen /> : null}
        {screen === 'login' ? (
          <LoginScreen
            username={username}
            busy={flow.busy || status?.state === 'logging_in'}
            error={flow.error}
            onSubmit={flow.submitPassword}
            onCancel={flow.cancel}
          />
        ) : null}
        {screen === 'otp' ? (
          <OtpScreen
            expiresAt={status?.otp_expires_at ?? null}
            busy={flow.busy}
            error={flow.error}
            onSubmit={flow.submitCode}
            onCancel={flow.disconnect}
          />
        ) : null}
        {screen === 'new-password' ? (
          <NewPasswordScreen
            username={username}
            busy={flow.busy}
            error={flow.error}
            onSubmit={flow.submitNewPassword}
            onCancel={flow.cancel}
          />
        ) : null}
        {screen === 'preflight' ? <PreflightScreen result={flow.preflight} error={flow.error} /> : null}
        {screen === 'connect' && status ? <ConnectScreen status={status} /> : null}
        {screen === 'connected' && status ? <ConnectedScreen status={status} /> : null}
        {screen === 'disconnect' && status ? <DisconnectScreen status={status} error={error} /> : null}
      </Box>
      {showLogs && live ? <LogPane lines={logs} height={logRows} /> : null}
      <Shortcuts keys={shortcutsFor(screen, showLogs)} />
    </Box>
  );
}
