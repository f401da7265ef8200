/**
 * Tests for the value coercers shared by config and endpoints.
 */
import assert from 'node:assert/strict';
import { coerceBool, coerceEnum, coerceList, coercePort, coerceString } from '../../../src/config/coerce.js';

describe('coerce', () => {
  describe('coerceBool', () => {
    for (const [raw, value] of [
      [true, true],
      [false, false],
      ['TRUE', true],
      ['No', false],
      ['yes', true],
      ['1', true],
      ['0', false],
      [1, true],
      [0, false],
    ] as const) {
      it(`should read ${JSON.stringify(raw)} as ${value}`, () =>
        assert.deepEqual(coerceBool(raw), { ok: true, value }));
    }
    context('when the value is not a boolean', () => {
      it('should say what to write', () =>
        assert.deepEqual(coerceBool('maybe'), { ok: false, reason: 'not a boolean; use true or false' }));
      it('should reject other numbers', () => assert.equal(coerceBool(2).ok, false));
    });
  });

  describe('coercePort', () => {
    it('should accept numbers and numeric strings', () => {
      assert.deepEqual(coercePort(4500), { ok: true, value: 4500 });
      assert.deepEqual(coercePort(' 500 '), { ok: true, value: 500 });
    });
    for (const raw of [0, 65536, -1, '70000']) {
      it(`should reject ${JSON.stringify(raw)} as out of range`, () =>
        assert.match(
          coercePort(raw).ok ? '' : (coercePort(raw) as { reason: string }).reason,
          /out of range|not an integer/,
        ));
    }
    it('should reject fractions and words', () => {
      assert.equal(coercePort(45.5).ok, false);
      assert.equal(coercePort('ipsec').ok, false);
    });
  });

  describe('coerceList', () => {
    it('should accept a YAML list', () => assert.deepEqual(coerceList(['a', ' b ']), { ok: true, value: ['a', 'b'] }));
    it('should accept a comma-separated string', () =>
      assert.deepEqual(coerceList('a, b,,c'), { ok: true, value: ['a', 'b', 'c'] }));
    it('should read an empty string as an empty list', () => assert.deepEqual(coerceList(''), { ok: true, value: [] }));
    it('should reject a map', () => assert.equal(coerceList({ a: 1 }).ok, false));
    it('should reject a nested list item', () => assert.equal(coerceList([['a']]).ok, false));
  });

  describe('coerceEnum', () => {
    it('should match case-insensitively and return the canonical spelling', () =>
      assert.deepEqual(coerceEnum('Transport', ['tunnel', 'transport']), { ok: true, value: 'transport' }));
    it('should list the accepted values', () =>
      assert.deepEqual(coerceEnum('gre', ['tunnel', 'transport']), {
        ok: false,
        reason: 'not an accepted value; use one of "tunnel", "transport"',
      }));
  });

  describe('coerceString', () => {
    it('should convert numbers', () => assert.deepEqual(coerceString(42), { ok: true, value: '42' }));
    it('should reject maps', () => assert.equal(coerceString({}).ok, false));
  });
});
