/**
 * Tests for cable names.
 */
import assert from 'node:assert/strict';
import { cableName } from '../../../src/endpoints/naming.js';

describe('cableName', () => {
  it("should build Submariner's name from the cluster ID and the dashed private IP", () => {
    assert.equal(cableName('cluster1', '172.18.0.8'), 'submariner-cable-cluster1-172-18-0-8');
  });
});
