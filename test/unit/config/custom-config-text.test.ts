/**
 * Tests for parsing ceCustomConfig text: the seed's comma style, YAML, JSON
 * and ConfigMap manifests.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseConfigFile, parseCustomConfig, stripTrailingCommas } from '../../../src/config/custom-config-text.js';
import { fixture } from '../../../lab/fs-helpers.js';

const SEED_VALUES = {
  ceIPSecMode: 'transport',
  ceIPSecOverlay: 'vxlan',
  ceIPSecPfsGroup: ['modp2048'],
  ceIPSecEsp: ['aes_gcm-null'],
};

describe('custom-config-text', () => {
  describe('parseCustomConfig', () => {
    context("when given the seed's example text (trailing commas, not valid YAML)", () => {
      it('should read all four keys', () => {
        const text = readFileSync(fixture('config', 'seed-example.txt'), 'utf8');
        assert.deepEqual(parseCustomConfig(text), { ok: true, values: SEED_VALUES });
      });
    });
    context('when given an unquoted value with a trailing comma', () => {
      it('should drop the comma instead of keeping it in the value', () => {
        assert.deepEqual(parseCustomConfig('ceIPSecMode: transport,\n'), {
          ok: true,
          values: { ceIPSecMode: 'transport' },
        });
      });
    });
    context('when given plain YAML or JSON', () => {
      it('should read YAML', () =>
        assert.deepEqual(parseCustomConfig('ceIPSecMode: transport\nceIPSecEsp:\n  - aes_gcm-null\n'), {
          ok: true,
          values: { ceIPSecMode: 'transport', ceIPSecEsp: ['aes_gcm-null'] },
        }));
      it('should read multi-line JSON without touching commas inside braces', () => {
        const text =
          '{\n  "ceIPSecMode": "transport",\n  "ceIPSecEsp": [\n    "aes_gcm-null",\n    "aes256-sha2_512"\n  ]\n}\n';
        assert.deepEqual(parseCustomConfig(text), {
          ok: true,
          values: { ceIPSecMode: 'transport', ceIPSecEsp: ['aes_gcm-null', 'aes256-sha2_512'] },
        });
      });
    });
    context('when the text is empty or only comments', () => {
      it('should give no keys', () => assert.deepEqual(parseCustomConfig('# nothing\n'), { ok: true, values: {} }));
    });
    context('when the text is not a map', () => {
      it('should say so', () =>
        assert.deepEqual(parseCustomConfig('- a\n- b\n'), {
          ok: false,
          reason: 'not a map of keys; write one "key: value" per line',
        }));
    });
    context('when the YAML is broken', () => {
      it('should give key and position only, never the parser message (it quotes the source)', () => {
        const r = parseCustomConfig('ceIPSecPSK: "hunter2-secret-value\nceIPSecMode: [\n');
        assert.equal(r.ok, false);
        const reason = r.ok ? '' : r.reason;
        assert.match(reason, /^not valid YAML at line \d+, column \d+/);
        assert.doesNotMatch(reason, /hunter2/);
      });

      // A PSK starting with a YAML indicator, unquoted: each used to reach the message (and the log, and status).
      const PSK = 'Zq7Secret-Psk-Value-For-The-Test-0123456789';
      const cases: [string, RegExp][] = [
        [`ceIPSecPSK: *${PSK}\n`, /alias/],
        [`ceIPSecPSK: |${PSK}\n`, /at line 1, column \d+ \(key ceIPSecPSK\): .*block scalar header/],
        [`ceIPSecPSK: >${PSK}\n`, /at line 1, column \d+ \(key ceIPSecPSK\): .*block scalar header/],
        [
          `ceIPSecPSK: !${PSK}\n`,
          /at line 1, column 13 \(key ceIPSecPSK\): a value starting with "!" is read as a YAML tag/,
        ],
        [`ceIPSecPSK: !${PSK} tail\n`, /read as a YAML tag/],
        [`ceIPSecMode: transport\nceIPSecPSK: @${PSK}\n`, /at line 2, column 13 \(key ceIPSecPSK\)/],
        [`ceIPSecPSK: "${PSK}\n`, /not closed/],
        [`ceIPSecPSK: ${PSK}\nceIPSecPSK: ${PSK}x\n`, /at line 2, column 1 \(key ceIPSecPSK\): the key is set twice/],
        [`ceIPSecPSK: a: ${PSK}\n`, /\(key ceIPSecPSK\)/],
        [`${PSK} ceIPSecPSK: [\n`, /not valid YAML/],
      ];
      for (const [text, expected] of cases) {
        it(`should refuse ${JSON.stringify(text.replace(PSK, '<psk>'))} naming key and position, not the PSK`, async () => {
          const warnings: string[] = [];
          const onWarning = (w: Error): void => void warnings.push(w.message);
          process.on('warning', onWarning);
          try {
            const r = parseCustomConfig(text);
            assert.equal(r.ok, false, 'refused');
            const reason = r.ok ? '' : r.reason;
            assert.match(reason, expected);
            for (const part of [PSK, PSK.slice(0, 8), PSK.slice(-8)]) assert.ok(!reason.includes(part), reason);
            const file = parseConfigFile(text);
            assert.ok(!file.ok && !file.reason.includes(PSK.slice(0, 8)), 'the single-file form too');
            await new Promise((resolve) => setImmediate(resolve)); // process warnings are emitted on the next tick
          } finally {
            process.off('warning', onWarning);
          }
          assert.deepEqual(warnings, [], 'nothing went to process warnings (stderr)');
        });
      }
    });
  });

  describe('stripTrailingCommas', () => {
    it('should keep commas inside quotes and before comments', () => {
      assert.equal(stripTrailingCommas('a: "x,", # note\nb: \'y,\'\n'), 'a: "x," # note\nb: \'y,\'\n');
    });
  });

  describe('parseConfigFile', () => {
    context('when the file is a ConfigMap manifest', () => {
      it('should parse its data.ceCustomConfig', () => {
        const text = readFileSync(fixture('config', 'configmap.yaml'), 'utf8');
        assert.deepEqual(parseConfigFile(text), { ok: true, values: SEED_VALUES });
      });
    });
    context('when the manifest has no data.ceCustomConfig', () => {
      it('should say where the settings go', () => {
        const r = parseConfigFile('apiVersion: v1\nkind: ConfigMap\ndata:\n  other: x\n');
        assert.deepEqual(r, {
          ok: false,
          reason: 'the ConfigMap has no string data.ceCustomConfig; put the settings under data.ceCustomConfig: |',
        });
      });
    });
    context('when the file is bare text', () => {
      it('should parse it as ceCustomConfig', () => {
        assert.deepEqual(parseConfigFile(readFileSync(fixture('config', 'seed-example.txt'), 'utf8')), {
          ok: true,
          values: SEED_VALUES,
        });
      });
    });
  });
});
