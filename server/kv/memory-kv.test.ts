import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryKv } from './memory-kv.js';

describe('MemoryKv', () => {
  it('expires keys, takes once, sets-if-absent once, and counts within a window', async () => {
    let t = 1000;
    const kv = new MemoryKv(() => t);
    await kv.set('a', '1', 100);
    assert.equal(await kv.get('a'), '1');
    t += 100;
    assert.equal(await kv.get('a'), null);

    await kv.set('g', 'grant', 1000);
    assert.equal(await kv.take('g'), 'grant');
    assert.equal(await kv.take('g'), null);

    assert.equal(await kv.setIfAbsent('n', 'x', 50), true);
    assert.equal(await kv.setIfAbsent('n', 'y', 50), false);
    t += 50;
    assert.equal(await kv.setIfAbsent('n', 'z', 50), true);

    assert.equal(await kv.incr('c', 1000), 1);
    assert.equal(await kv.incr('c', 1000), 2);
    t += 999;
    assert.equal(await kv.incr('c', 1000), 3, 'the window does not slide on increment');
    t += 1;
    assert.equal(await kv.incr('c', 1000), 1);
    await kv.close();
  });

  it('counts distinct members seen within the window, a member exactly windowMs old is out', async () => {
    let t = 0;
    const kv = new MemoryKv(() => t);
    assert.equal(await kv.windowDistinct('k', 'a', 100), 1);
    t = 50;
    assert.equal(await kv.windowDistinct('k', 'b', 100), 2);
    t = 99;
    assert.equal(await kv.windowDistinct('k', 'b', 100), 2, 'a is 99 ms old: still in');
    t = 100;
    assert.equal(await kv.windowDistinct('k', 'c', 100), 2, 'a is 100 ms old: out; b (seen at 99) and c');
    await kv.close();
  });
});
