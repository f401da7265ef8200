/**
 * What the node's ESP-offload label and annotation should be (pure):
 * `cabled.io/ipsec-offload=true` and `cabled.io/ipsec-offload-interfaces=
 * <comma list>` while an interface offloads ESP; neither once none does.
 * Returns the JSON merge patch to get there, or undefined when the node
 * already says the right thing (no write).
 */

export const OFFLOAD_LABEL = 'cabled.io/ipsec-offload';
export const OFFLOAD_INTERFACES_ANNOTATION = 'cabled.io/ipsec-offload-interfaces';

/** The parts of node metadata this looks at. */
export interface NodeMarks {
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

/** A merge patch of metadata: a null value removes the key. */
export interface MetadataPatch {
  metadata: { labels?: Record<string, string | null>; annotations?: Record<string, string | null> };
}

/** The patch that makes `node` show `capable` (interface names), or undefined if it already does. */
export function offloadPatch(node: NodeMarks, capable: readonly string[]): MetadataPatch | undefined {
  const label = capable.length ? 'true' : undefined;
  const interfaces = capable.length ? [...capable].sort().join(',') : undefined;
  const patch: MetadataPatch = { metadata: {} };
  if (node.labels?.[OFFLOAD_LABEL] !== label) patch.metadata.labels = { [OFFLOAD_LABEL]: label ?? null };
  if (node.annotations?.[OFFLOAD_INTERFACES_ANNOTATION] !== interfaces) {
    patch.metadata.annotations = { [OFFLOAD_INTERFACES_ANNOTATION]: interfaces ?? null };
  }
  return patch.metadata.labels || patch.metadata.annotations ? patch : undefined;
}
