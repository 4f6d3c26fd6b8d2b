import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { isViworksError } from '../../core/errors/viworks-error.js';
import { renderFwknopdConf } from './fwknopd-conf.js';
import { directives, sampleFacts, sampleSettings } from './test-fixtures.js';
import { GENERATED_HEADER } from './values.js';

const isConfigError = (e: unknown) => isViworksError(e, 'VIW_E_CONFIG');

describe('renderFwknopdConf', () => {
  const out = renderFwknopdConf(sampleSettings(), sampleFacts('/etc/viworks'));

  test('starts with the generated header and is deterministic', () => {
    assert.equal(out.split('\n')[0], GENERATED_HEADER);
    assert.equal(renderFwknopdConf(sampleSettings(), sampleFacts('/etc/viworks')), out);
    assert.ok(out.endsWith(';\n'));
  });

  test('carries the key directives', () => {
    const d = directives(out);
    for (const line of [
      'PCAP_INTF eth0;',
      'PCAP_FILTER udp port 62201;',
      'ENABLE_SPA_PACKET_AGING Y;',
      'MAX_SPA_PACKET_AGE 120;',
      'FIREWALL_EXE /usr/sbin/iptables;',
      'FWKNOP_RUN_DIR /etc/viworks/fwknop-run;',
      'ACCESS_FILE /etc/viworks/access.conf;',
      'ENABLE_DIGEST_PERSISTENCE Y;',
      'ENABLE_IPT_FORWARDING N;',
      'FLUSH_IPT_AT_INIT Y;',
      'FLUSH_IPT_AT_EXIT Y;',
    ]) {
      assert.ok(d.includes(line), `missing ${line}`);
    }
    assert.equal(d.filter((l) => l.startsWith('PCAP_INTF')).length, 1);
  });

  test('follows the SPA port setting', () => {
    const d = directives(renderFwknopdConf(sampleSettings({ spa_port: 40000 }), sampleFacts()));
    assert.ok(d.includes('PCAP_FILTER udp port 40000;'));
  });

  test('refuses injection through facts or settings', () => {
    const facts = sampleFacts();
    assert.throws(
      () => renderFwknopdConf(sampleSettings(), { ...facts, spaInterface: 'eth0\nFIREWALL_EXE /tmp/evil' }),
      isConfigError,
    );
    assert.throws(
      () =>
        renderFwknopdConf(sampleSettings(), {
          ...facts,
          paths: { ...facts.paths, fwknopRunDir: '/run/x;\nENABLE_CMD_EXEC Y' },
        }),
      isConfigError,
    );
    assert.throws(() => renderFwknopdConf(sampleSettings({ spa_port: 0 }), facts), isConfigError);
    const extra = { ...sampleSettings(), extra: 'x' } as unknown as ReturnType<typeof sampleSettings>;
    assert.throws(() => renderFwknopdConf(extra, facts), isConfigError);
  });
});
