import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHROMIUM_POLICY_PATH, chromiumPolicy, renderChromiumPolicy } from './chromium-policy.js';

describe('chromiumPolicy', () => {
  test('file transfer off (the default a policy gets): downloads blocked, no file dialogs, no printing', () => {
    assert.deepEqual(JSON.parse(renderChromiumPolicy({ file_transfer: false })), {
      DownloadRestrictions: 3,
      AllowFileSelectionDialogs: false,
      PrintingEnabled: false,
    });
  });

  test('near miss: file transfer on lifts exactly those three, and says so explicitly', () => {
    assert.deepEqual(chromiumPolicy({ file_transfer: true }), {
      DownloadRestrictions: 0,
      AllowFileSelectionDialogs: true,
      PrintingEnabled: true,
    });
  });

  test('the file is JSON with a trailing newline, at the path Debian chromium reads', () => {
    const text = renderChromiumPolicy({ file_transfer: false });
    assert.ok(text.endsWith('}\n'));
    assert.equal(CHROMIUM_POLICY_PATH, '/etc/chromium/policies/managed/viworks.json');
  });
});
