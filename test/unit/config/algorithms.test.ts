/**
 * Tests for the ESP/IKE proposal and DH group checks.
 */
import assert from 'node:assert/strict';
import { checkDhGroup, checkEspProposal, checkIkeProposal, proposalDhGroups } from '../../../src/config/algorithms.js';

describe('algorithms', () => {
  describe('checkDhGroup', () => {
    for (const g of [
      'modp2048',
      'modp3072',
      'modp4096',
      'modp8192',
      'ecp256',
      'ecp384',
      'ecp521',
      'curve25519',
      'dh19',
      'dh20',
      'dh21',
      'dh31',
      'MODP2048',
    ]) {
      it(`should accept ${g}`, () => assert.equal(checkDhGroup(g), undefined));
    }
    context('when the group is weak', () => {
      it('should reject modp1024 and suggest a stronger one', () =>
        assert.match(checkDhGroup('modp1024') ?? '', /too weak; use modp2048 or stronger/));
    });
    context('when the group is unknown', () => {
      it('should list the known groups', () =>
        assert.match(checkDhGroup('modp2049') ?? '', /unknown DH group "modp2049"; use one of modp2048/));
    });
  });

  describe('checkEspProposal', () => {
    for (const p of [
      'aes_gcm-null',
      'aes_gcm256',
      'aes128-sha2_256',
      'aes256-sha2_512',
      'chacha20_poly1305',
      'aes_gcm_16_256',
      'aes-sha1;modp2048',
      'aes-sha2-none',
      'aes+aes_gcm-null',
      'AES_GCM256-NULL',
      'aes256',
    ]) {
      it(`should accept ${p}`, () => assert.equal(checkEspProposal(p), undefined));
    }
    const bad: Array<[string, RegExp]> = [
      ['bogus', /unknown ESP cipher "bogus"/],
      ['aes-bogus', /unknown ESP integrity algorithm "bogus"/],
      ['aes_gcm-sha1', /AEAD cipher aes_gcm has its own integrity; use aes_gcm-null/],
      ['aes-null', /needs an integrity algorithm/],
      ['aes100-sha1', /key length 100 is not valid for aes; use 128, 192, 256/],
      ['chacha20_poly1305256', /not valid for chacha20_poly1305; it takes no key length/],
      ['aes-sha1;modp1024', /too weak/],
      ['aes-sha1-modp2048-x', /too many parts/],
      ['aes--sha1', /empty algorithm name/],
      ['null-sha1', /does not encrypt/],
    ];
    for (const [p, re] of bad) {
      context(`when the proposal is ${p}`, () => {
        it('should say why', () => assert.match(checkEspProposal(p) ?? '', re));
      });
    }
  });

  describe('checkIkeProposal', () => {
    for (const p of [
      'aes_gcm256-sha2_256;modp2048',
      'aes256-sha2_256-modp2048',
      'aes_gcm-sha2',
      'aes256-sha2_256-sha2_256',
      'aes_gcm256-null-sha2_512;dh19',
      'chacha20_poly1305-sha2_512-curve25519',
    ]) {
      it(`should accept ${p}`, () => assert.equal(checkIkeProposal(p), undefined));
    }
    const bad: Array<[string, RegExp]> = [
      ['aes_gmac-sha2', /for ESP only/],
      ['aes256-bogus-modp2048', /unknown IKE PRF "bogus"/],
      ['aes_gcm256-sha1-sha2_256', /AEAD cipher aes_gcm256 has its own integrity/],
      ['aes256-sha2_256;curve448', /unknown DH group "curve448"/],
    ];
    for (const [p, re] of bad) {
      context(`when the proposal is ${p}`, () => {
        it('should say why', () => assert.match(checkIkeProposal(p) ?? '', re));
      });
    }
  });

  describe('proposalDhGroups', () => {
    it('should find a group after ";" or "-"', () => {
      assert.deepEqual(proposalDhGroups('aes-sha1;modp2048'), ['modp2048']);
      assert.deepEqual(proposalDhGroups('aes256-sha2_256-ecp256'), ['ecp256']);
    });
    it('should find none in a proposal without a group or with "none"', () => {
      assert.deepEqual(proposalDhGroups('aes_gcm-null'), []);
      assert.deepEqual(proposalDhGroups('aes-sha2-none'), []);
    });
  });
});
