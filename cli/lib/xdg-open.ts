// Opens a file in the user's browser with xdg-open, detached (the browser outlives the command).
// Callers pass a 0600 opener page, never a URL that holds a secret: argv is readable by every user.
import { spawn } from 'node:child_process';

/** True once xdg-open started; false when it could not be run (the caller says what to do instead). */
export function xdgOpen(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [path], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}
