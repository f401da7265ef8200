/** The FDB writes refuse destination 0.0.0.0 before anything reaches the kernel (it reads 0.0.0.0 as "any"). */
import assert from 'node:assert/strict';
import { appendFdb, deleteFdb } from '../../../src/lib/netlink/fdb.js';
import type { NetlinkSession } from '../../../src/lib/netlink/session.js';
import { InvalidArgumentError } from '../../../src/lib/errors.js';

describe('FDB destination guard', () => {
  const untouched = new Proxy({} as NetlinkSession, {
    get: () => assert.fail('the netlink socket must not be used'),
  });
  for (const [name, fn] of [
    ['appendFdb', appendFdb],
    ['deleteFdb', deleteFdb],
  ] as const) {
    it(`${name} should refuse 0.0.0.0 without touching the socket`, async () => {
      await assert.rejects(fn(untouched, 3, '0.0.0.0'), (err: unknown) => {
        assert.ok(err instanceof InvalidArgumentError);
        assert.match(err.message, /the kernel reads it as every destination/);
        return true;
      });
    });
  }
});
