/**
 * offloadPatch and the NFD feature text: set, keep, change and remove the
 * ESP-offload marks, writing nothing when the node already says the right thing.
 */
import assert from 'node:assert/strict';
import { nfdFeatureText } from '../../../src/labeler/nfd-feature-file.js';
import { offloadPatch } from '../../../src/labeler/node-labels.js';

describe('offloadPatch', () => {
  it('should set the label and the sorted interface list on a node without them, keeping other labels', () => {
    assert.deepEqual(offloadPatch({ labels: { 'kubernetes.io/os': 'linux' } }, ['ens2', 'ens1']), {
      metadata: {
        labels: { 'cabled.io/ipsec-offload': 'true' },
        annotations: { 'cabled.io/ipsec-offload-interfaces': 'ens1,ens2' },
      },
    });
  });
  it('should patch nothing when the node already shows the same interfaces', () => {
    const node = {
      labels: { 'cabled.io/ipsec-offload': 'true' },
      annotations: { 'cabled.io/ipsec-offload-interfaces': 'ens1,ens2' },
    };
    assert.equal(offloadPatch(node, ['ens2', 'ens1']), undefined);
  });
  it('should change only the annotation when the interface list changes', () => {
    const node = {
      labels: { 'cabled.io/ipsec-offload': 'true' },
      annotations: { 'cabled.io/ipsec-offload-interfaces': 'ens1,ens2' },
    };
    assert.deepEqual(offloadPatch(node, ['ens1']), {
      metadata: { annotations: { 'cabled.io/ipsec-offload-interfaces': 'ens1' } },
    });
  });
  it('should remove both (null in a merge patch) when no interface offloads ESP', () => {
    const node = {
      labels: { 'cabled.io/ipsec-offload': 'true' },
      annotations: { 'cabled.io/ipsec-offload-interfaces': 'ens1' },
    };
    assert.deepEqual(offloadPatch(node, []), {
      metadata: {
        labels: { 'cabled.io/ipsec-offload': null },
        annotations: { 'cabled.io/ipsec-offload-interfaces': null },
      },
    });
    assert.equal(offloadPatch({}, []), undefined);
  });
});

describe('nfdFeatureText', () => {
  it("should write NFD's local-source format, key=value, with a comment naming the interfaces", () => {
    assert.equal(
      nfdFeatureText(['ens1']),
      '# written by cabled labeler: interfaces offloading ESP: ens1\ncabled.io/ipsec-offload=true\n',
    );
    assert.equal(nfdFeatureText([]), undefined);
  });
});
