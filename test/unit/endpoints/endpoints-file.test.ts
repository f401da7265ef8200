/**
 * Tests for reading the entries of an endpoints file in each accepted shape.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { parseEndpointsText } from '../../../src/endpoints/endpoints-file.js';
import { fixture } from '../../../lab/fs-helpers.js';

const entries = (text: string): unknown[] => {
  const r = parseEndpointsText(text);
  assert.ok(r.ok, r.ok ? '' : r.reason);
  return r.entries;
};

describe('parseEndpointsText', () => {
  it('should read a YAML list', () => assert.equal(entries('- cluster_id: a\n- cluster_id: b\n').length, 2));
  it('should read {endpoints: [...]}', () =>
    assert.equal(entries(readFileSync(fixture('endpoints', 'mixed.yaml'), 'utf8')).length, 2));
  it('should read a Kubernetes List in JSON', () =>
    assert.equal(entries(readFileSync(fixture('endpoints', 'k8s-list.json'), 'utf8')).length, 1));
  it('should read [] and "endpoints:" as no entries', () => {
    assert.deepEqual(entries('[]'), []);
    assert.deepEqual(entries('endpoints:\n'), []);
  });
  context('when the file is empty', () => {
    it('should refuse, and say how to remove every endpoint', () => {
      assert.deepEqual(parseEndpointsText('  \n'), {
        ok: false,
        reason: 'the file is empty; write [] (or endpoints: []) to remove every remote endpoint',
      });
    });
  });
  context('when the file does not parse', () => {
    it('should give the parser error', () => {
      const r = parseEndpointsText('endpoints: [\n');
      assert.equal(r.ok, false);
      assert.match(r.ok ? '' : r.reason, /^not valid YAML or JSON: /);
    });
  });
  context('when the shape is wrong', () => {
    it('should say what shapes are accepted', () => {
      assert.equal(parseEndpointsText('hello: world\n').ok, false);
      assert.deepEqual(parseEndpointsText('endpoints: 3\n'), {
        ok: false,
        reason: '"endpoints" is not a list; write endpoints: [ ... ]',
      });
    });
  });
});
