// The managed Chromium policy of one sandbox: what the policy's `file_transfer` switch means inside
// the remote browser (pure; sandbox.ts writes it, bwrap-argv.ts mounts it read-only where Debian's
// Chromium reads managed policies). Managed policies win over anything the user or a page sets,
// and Chromium cannot be told to ignore them from inside the sandbox: the file and its directory
// are read-only mounts.
//
// Names and values from Chromium's policy list (chromeenterprise.google/policies):
// - DownloadRestrictions: 0 = no special restrictions, 3 = block all downloads;
// - AllowFileSelectionDialogs: false = no open/save dialogs, so no `<input type=file>` upload and
//   no "save as";
// - PrintingEnabled: "Save as PDF" writes a file, a download by another name, so it follows the
//   same switch.

/** Debian's chromium configuration directory (the package ships it, with master_preferences). */
export const CHROMIUM_ETC = '/etc/chromium';
/** Where Debian's chromium reads managed policies (every `*.json` in this directory). */
export const CHROMIUM_POLICY_DIR = `${CHROMIUM_ETC}/policies/managed`;
export const CHROMIUM_POLICY_PATH = `${CHROMIUM_POLICY_DIR}/viworks.json`;

export interface ChromiumPolicy {
  readonly DownloadRestrictions: 0 | 3;
  readonly AllowFileSelectionDialogs: boolean;
  readonly PrintingEnabled: boolean;
}

export interface ChromiumSwitches {
  /** Downloads, uploads (file dialogs) and printing to a file in the remote browser. */
  readonly file_transfer: boolean;
}

export function chromiumPolicy(s: ChromiumSwitches): ChromiumPolicy {
  return {
    DownloadRestrictions: s.file_transfer ? 0 : 3,
    AllowFileSelectionDialogs: s.file_transfer,
    PrintingEnabled: s.file_transfer,
  };
}

/** The policy file's text (JSON, one trailing newline). */
export const renderChromiumPolicy = (s: ChromiumSwitches): string =>
  `${JSON.stringify(chromiumPolicy(s), null, 2)}\n`;
