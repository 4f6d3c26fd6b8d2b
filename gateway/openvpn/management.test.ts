// Answer parsing of the management interface. The live exchange (banner, `status 3`, `kill` of an
// absent CN) runs against the real OpenVPN in gateway/gateway-lab.test.ts; the SUCCESS line below is
// OpenVPN 2.6's wording for a connected CN, which that lab does not produce (no client connects).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseKillAnswer, parseStatus3Sessions } from './management.js';

const S = `s-${'ab'.repeat(16)}`;

test('kill answers: SUCCESS with a count, ERROR not found = 0, anything else throws', () => {
  assert.equal(parseKillAnswer(`SUCCESS: common name '${S}' found, 2 client(s) killed`), 2);
  assert.equal(parseKillAnswer(`ERROR: common name '${S}' not found`), 0);
  assert.throws(() => parseKillAnswer("ERROR: unknown command, enter 'help' for more options"));
});

test('status 3: only CLIENT_LIST rows with session-shaped CNs, de-duplicated', () => {
  const lines = [
    'TITLE\tOpenVPN 2.6.14',
    'HEADER\tCLIENT_LIST\tCommon Name\tReal Address',
    `CLIENT_LIST\t${S}\t127.0.0.1:40000`,
    `CLIENT_LIST\t${S}\t127.0.0.1:40001`,
    'CLIENT_LIST\tUNDEF\t127.0.0.1:40002',
    `ROUTING_TABLE\t10.8.0.2\t${S}`,
  ];
  assert.deepEqual(parseStatus3Sessions(lines), [S]);
});
