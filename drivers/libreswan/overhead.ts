/**
 * MTU of the VXLAN device in transport mode: the underlay MTU minus VXLAN's
 * 50 bytes (outer IPv4 20 + UDP 8 + VXLAN 8 + inner Ethernet 14) minus the
 * ESP transport-mode overhead, worst case for the configured ESP proposals,
 * minus 8 for UDP encapsulation (NAT-T: libreswan may encapsulate whenever it
 * detects NAT, so it is always reserved). Transport mode adds no outer IP.
 *
 *   AEAD (aes_gcm*, chacha20_poly1305): SPI+seq 8, IV 8, pad <= 3, pad length
 *   + next header 2, ICV 16                                   = 37
 *   CBC/CTR + HMAC: SPI+seq 8, IV <= 16, pad <= 15, 2, ICV <= 32  = 73
 *
 * Default (libreswan's default ESP is AES-GCM): 50 + 37 + 8 = 95, so a 1500
 * underlay gives a 1405 VXLAN device. Overlay packets then never need
 * fragmenting after encryption.
 */
export const VXLAN_OVERHEAD = 50;
export const ESP_AEAD_OVERHEAD = 37;
export const ESP_CBC_HMAC_OVERHEAD = 73;
export const UDP_ENCAP_OVERHEAD = 8;

/** Bytes the VXLAN-over-ESP-transport device gives up to its underlay. */
export function transportOverhead(esp: string): number {
  const proposals = esp
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const aeadOnly = proposals.length === 0 || proposals.every((p) => /^(aes_gcm|chacha20_poly1305|aes_ccm)/.test(p));
  return VXLAN_OVERHEAD + (aeadOnly ? ESP_AEAD_OVERHEAD : ESP_CBC_HMAC_OVERHEAD) + UDP_ENCAP_OVERHEAD;
}
