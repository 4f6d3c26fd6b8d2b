// What the user's keys start, as the CLI's `viworks connect` does it (cli/lib/daemon-command.ts):
// connect with the daemon's held login if there is one, else password → phone code → (new password
// → log in again → code) → connect. Secrets pass straight from the input field to one LocalClient
// call and are never stored in this state; the daemon's Status (watch) says where things stand,
// this hook only remembers which dialogue the user is in and the last error it got.
import { useCallback, useState } from 'react';
import { isViworksError } from '../../core/errors/viworks-error.js';
import type { PreflightResponse } from '../../core/localclient/index.js';
import type { TuiClient } from '../client.js';
import { type ShownError, shownError } from '../errors.js';

export type Phase = 'idle' | 'password' | 'otp' | 'new-password' | 'connecting' | 'preflight';

export interface ConnectFlow {
  readonly phase: Phase;
  readonly busy: boolean;
  readonly error: ShownError | null;
  readonly preflight: PreflightResponse | null;
  connect(): void;
  disconnect(): void;
  runPreflight(): void;
  submitPassword(password: string): void;
  submitCode(code: string): void;
  submitNewPassword(next: string): void;
  cancel(): void;
}

export function useConnectFlow(client: TuiClient): ConnectFlow {
  const [phase, setPhase] = useState<Phase>('idle');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ShownError | null>(null);
  const [preflight, setPreflight] = useState<PreflightResponse | null>(null);
  const [changed, setChanged] = useState(false);

  /** One daemon call with the busy flag and error capture; resolves to undefined on failure. */
  const call = useCallback(async <T>(fn: () => Promise<T>): Promise<T | undefined> => {
    setBusy(true);
    setError(null);
    try {
      return await fn();
    } catch (err) {
      setError(shownError(err));
      return undefined;
    } finally {
      setBusy(false);
    }
  }, []);

  const bringUp = useCallback(async () => {
    setPhase('connecting');
    setError(null);
    try {
      await client.connect();
      setPhase('idle');
    } catch (err) {
      // No login held by the daemon: ask for the password.
      if (isViworksError(err, 'VIW_E_AUTH_REQUIRED')) setPhase('password');
      else {
        setError(shownError(err));
        setPhase('idle');
      }
    }
  }, [client]);

  const connect = useCallback(() => {
    setChanged(false);
    void bringUp();
  }, [bringUp]);

  const disconnect = useCallback(() => {
    void call(() => client.disconnect()).then(() => setPhase('idle'));
  }, [call, client]);

  const runPreflight = useCallback(() => {
    setPhase('preflight');
    setPreflight(null);
    void call(() => client.preflight()).then((r) => setPreflight(r ?? null));
  }, [call, client]);

  const submitPassword = useCallback(
    (password: string) => {
      void call(() => client.login({ password })).then((r) => {
        if (r) setPhase('otp');
      });
    },
    [call, client],
  );

  const submitCode = useCallback(
    (otp_code: string) => {
      void call(() => client.otp({ otp_code })).then((r) => {
        if (!r) return;
        if (!r.password_change_required) return void bringUp();
        if (changed) {
          setError({
            code: 'VIW_E_INTERNAL',
            message: 'The password change did not take',
            hint: 'Try again.',
          });
          return setPhase('idle');
        }
        setPhase('new-password');
      });
    },
    [bringUp, call, changed, client],
  );

  const submitNewPassword = useCallback(
    (next: string) => {
      void call(async () => {
        await client.password({ new_password: next });
        // As the CLI does: log in again with the new password; the phone shows a new code.
        return client.login({ password: next });
      }).then((r) => {
        if (!r) return;
        setChanged(true);
        setPhase('otp');
      });
    },
    [call, client],
  );

  const cancel = useCallback(() => {
    setPhase('idle');
    setError(null);
  }, []);

  return {
    phase,
    busy,
    error,
    preflight,
    connect,
    disconnect,
    runPreflight,
    submitPassword,
    submitCode,
    submitNewPassword,
    cancel,
  };
}
