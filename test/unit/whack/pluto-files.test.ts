/** Pure parts of the pluto lifecycle: secrets rendering (PSK never in clear on a command line) and config. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderPlutoConfig, renderSecrets, writeSecretsFile } from '../../../drivers/libreswan/pluto/index.js';

describe('pluto files', () => {
  it('should render PSKs as 0s base64 so any byte is safe', () => {
    const text = renderSecrets([
      { selectors: ['10.0.0.1', '10.0.0.2'], psk: 'a "quoted" psk\\' },
      { selectors: ['@left', '@right'], psk: 'x' },
    ]);
    assert.equal(
      text,
      `# written by cabled; do not edit\n10.0.0.1 10.0.0.2 : PSK 0s${Buffer.from('a "quoted" psk\\').toString('base64')}\n@left @right : PSK 0seA==\n`,
    );
  });

  it('should refuse bad selectors and empty PSKs without echoing the PSK', () => {
    assert.throws(
      () => renderSecrets([{ selectors: ['a b'], psk: 'secret-value' }]),
      (e: unknown) => e instanceof Error && !e.message.includes('secret-value'),
    );
    assert.throws(() => renderSecrets([{ selectors: ['10.0.0.1'], psk: '' }]), /empty PSK/);
    assert.throws(() => renderSecrets([{ selectors: [], psk: 'x' }]), /without selectors/);
  });

  it('should write the secrets file with mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cbt-sec-'));
    try {
      const file = join(dir, 'sub', 'ipsec.secrets');
      await writeSecretsFile(file, [{ selectors: ['%any', '10.0.0.2'], psk: 'p' }]);
      assert.equal((await stat(file)).mode & 0o777, 0o600);
      assert.match(await readFile(file, 'utf8'), /^%any 10\.0\.0\.2 : PSK 0scA==$/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('should write a minimal config setup with uniqueids', () => {
    assert.match(renderPlutoConfig(), /^config setup\n\tuniqueids=yes\n/m);
  });

  it('should keep pluto from blocking on a full IKE socket (no errqueue poll, a 4 MiB buffer)', () => {
    // With errqueue on, pluto polls (no timeout) for a writable socket before every IKE packet: dead peers
    // on the local subnet fill the send buffer and pluto stops answering whack (docs/reliability.md).
    assert.match(renderPlutoConfig(), /^\tike-socket-errqueue=no$/m);
    assert.match(renderPlutoConfig(), /^\tike-socket-bufsize=4194304$/m);
  });
});
