// The architecture test: fails when a front-end imports anything but core/ and its own folder (the
// CLI may also import the TUI's render entry, never Ink or React themselves), the
// daemon or the CLI imports server/ or scripts/, daemon/engine imports daemon/localapi, any import
// cycle exists (type-only included), or production code outside core/api types a backend URL path.
// A fixture tree breaks each rule once, so the checks are shown to fail.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { repoPath } from '../lab/repo.js';
import { checkArchitecture, loadTree } from './rules.js';

function fixture(files: Record<string, string>): string {
  const root = mkdtempSync(join(tmpdir(), 'viw-arch-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('architecture', () => {
  it('holds for this repository', () => {
    const violations = checkArchitecture(loadTree(repoPath('.')));
    assert.deepEqual(
      violations.map((v) => `${v.rule}: ${v.file} (${v.detail})`),
      [],
    );
  });

  it('catches each forbidden import, a type-only cycle and a hand-typed backend path', () => {
    const root = fixture({
      'core/api/backend-routes.ts': "export const R = { health: { path: '/health' } };\n",
      'core/util.ts': 'export const x = 1;\n',
      'cli/commands/status.ts':
        "import { x } from '../../core/util.js';\nimport { y } from '../../daemon/engine/y.js';\n",
      'cli/lib/helper.test.ts': "import { y } from '../../daemon/engine/y.js';\n",
      'daemon/engine/y.ts': "import type { S } from '../localapi/server.js';\nexport const y = 2;\n",
      'daemon/localapi/server.ts': "import { s } from '../../server/s.js';\nexport type S = number;\n",
      'server/s.ts': 'export const s = 3;\n// a comment naming GET /admin/users is fine\n',
      'server/a.ts': "import type { B } from './b.js';\nexport type A = B;\n",
      'server/b.ts': "import type { A } from './a.js';\nexport type B = A;\n",
      // A template literal with an expression: the check sees its literal head.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the fixture is source text on purpose
      'mobile/sim/client.ts': 'export const path = `/mobile/otp?wait=${1}`;\nconst u = "https://x/y";\n',
      'mobile/sim/client.test.ts': "export const path = '/mobile/otp';\n",
      // The phone app is a front-end too: core and its own folder only (not the simulator).
      'mobile/app/src/main.ts':
        "import { x } from '../../../core/util.js';\nimport { p } from '../../sim/client.js';\n",
      // The CLI starts the TUI through its render entry only; Ink and React stay inside tui/.
      'cli/commands/tui.ts':
        "const { renderTui } = await import('../../tui/render.js');\nimport { App } from '../../tui/App.js';\nimport { render } from 'ink';\n",
      'tui/render.tsx': "import { render } from 'ink';\nimport { App } from './App.js';\n",
      'tui/App.tsx': "import { x } from '../core/util.js';\nimport { y } from '../daemon/engine/y.js';\n",
      'tui/App.test.tsx': "import { y } from '../daemon/engine/y.js';\n",
    });
    try {
      const found = checkArchitecture(loadTree(root)).map((v) => `${v.rule}: ${v.file} (${v.detail})`);
      assert.deepEqual(found.sort(), [
        'backend-path: mobile/sim/client.ts (/mobile/otp?wait=)',
        'cli-no-ink: cli/commands/tui.ts (ink)',
        'cycle: server/a.ts (server/a.ts → server/b.ts)',
        'engine-not-localapi: daemon/engine/y.ts (daemon/localapi/server.ts)',
        'front-end-imports: cli/commands/status.ts (daemon/engine/y.ts)',
        'front-end-imports: cli/commands/tui.ts (tui/App.tsx)',
        'front-end-imports: mobile/app/src/main.ts (mobile/sim/client.ts)',
        'front-end-imports: tui/App.tsx (daemon/engine/y.ts)',
        'no-server-or-scripts: daemon/localapi/server.ts (server/s.ts)',
      ]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
