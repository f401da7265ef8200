/** The logger keeps secrets out of log lines: secret-looking keys, and every registered secret value anywhere. */
import { strict as assert } from 'node:assert';
import { Writable } from 'node:stream';
import winston from 'winston';
import { createLogger, registerSecretValue, scrubSecrets } from '../../../src/lib/logger.js';

function capture(): { logger: winston.Logger; lines: string[] } {
  const lines: string[] = [];
  const logger = createLogger({ json: true, level: 'debug' });
  logger.clear();
  logger.add(
    new winston.transports.Stream({
      stream: new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    }),
  );
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

describe('logger levels', () => {
  it('drops a debug line at level info before formatting it, and writes it at level debug (children alike)', () => {
    for (const level of ['info', 'debug']) {
      const logger = createLogger({ json: true, level });
      const lines: string[] = [];
      logger.clear();
      logger.add(
        new winston.transports.Stream({
          stream: new Writable({
            write(chunk: Buffer, _enc, done) {
              lines.push(chunk.toString());
              done();
            },
          }),
        }),
      );
      let read = 0;
      const meta = {
        get cable() {
          read++;
          return 'c1';
        },
      };
      logger.child({ component: 'overlay' }).debug('installed overlay remote', meta);
      assert.equal(read > 0, level === 'debug');
      assert.equal(lines.length, level === 'debug' ? 1 : 0);
    }
  });
});
