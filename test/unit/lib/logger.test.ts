/** The logger keeps secrets out of log lines: secret-looking keys, and every registered secret value anywhere. */
import { strict as assert } from 'node:assert';
import { createLogger, registerSecretValue, scrubSecrets, type Logger } from '../../../src/lib/logger.js';

function capture(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ json: true, level: 'debug', write: (line) => lines.push(line) });
  return { logger, lines };
}

describe('logger secret scrubbing', function () {
  const SECRET = 'Lg7-registered-secret-value-91x';

  it('replaces a registered secret in the message and in every field, nested or not', async () => {
    registerSecretValue(SECRET);
    const { logger, lines } = capture();
    logger.warn(`rejected: ceIPSecIke: ${SECRET}`, {
      error: `x ${SECRET} y`,
      nested: { list: [`${SECRET}`], other: 'kept' },
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes(SECRET), lines[0]);
    assert.match(lines[0] ?? '', /rejected: ceIPSecIke: \[redacted\]/);
    assert.match(lines[0] ?? '', /"other":"kept"/);
  });

  it('does not register short values (they would match ordinary text)', () => {
    registerSecretValue('info');
    assert.equal(scrubSecrets('info line'), 'info line');
  });
});

describe('logger lines', function () {
  it('writes one JSON line per entry, keys sorted, with level, message, process, ISO timestamp and the fields', () => {
    const lines: string[] = [];
    const logger = createLogger({ json: true, name: 'cabled', write: (l) => lines.push(l) }).child({
      component: 'api',
    });
    logger.info('API serving', { addresses: ['unix:///run/x.sock'], zeta: 1, nested: { b: 2, a: 1 } });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]!.endsWith('\n'));
    const entry = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(entry), [...Object.keys(entry)].sort());
    assert.deepEqual(
      { ...entry, timestamp: undefined },
      {
        addresses: ['unix:///run/x.sock'],
        component: 'api',
        level: 'info',
        message: 'API serving',
        nested: { a: 1, b: 2 },
        process: 'cabled',
        timestamp: undefined,
        zeta: 1,
      },
    );
    assert.match(String(entry.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.match(lines[0]!, /"nested":\{"a":1,"b":2\}/);
  });

  it('writes its level and the more severe ones only (log(level) too)', () => {
    const lines: string[] = [];
    const logger = createLogger({ json: true, level: 'warn', write: (l) => lines.push(l) });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.log('error', 'e');
    logger.log('debug', 'd2');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as { message: string }).message),
      ['w', 'e'],
    );
  });

  it('redacts secret-looking keys at any depth, and survives cycles and bigints', () => {
    const lines: string[] = [];
    const logger = createLogger({ json: true, write: (l) => lines.push(l) });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    logger.info('x', { psk: 'not-to-be-seen', nested: { token: 'nor-this' }, cyclic, big: 10n });
    assert.ok(!lines[0]!.includes('not-to-be-seen') && !lines[0]!.includes('nor-this'), lines[0]);
    const entry = JSON.parse(lines[0]!) as { psk: string; nested: { token: string }; big: string };
    assert.equal(entry.psk, '[redacted]');
    assert.equal(entry.nested.token, '[redacted]');
    assert.equal(entry.big, '10');
  });

  it('writes readable lines for a terminal: time, level, [component], message, the other fields', () => {
    const lines: string[] = [];
    createLogger({ json: false, name: 'cabled', write: (l) => lines.push(l) })
      .child({ component: 'engine' })
      .warn('driver down', { inMs: 250 });
    assert.match(
      lines[0]!,
      /^\d{4}-\d\d-\d\dT\S+Z warn {2}\[engine\] driver down \{"process":"cabled","inMs":250\}\n$/,
    );
  });
});
