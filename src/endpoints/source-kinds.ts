/** --endpoints-source values (its own module: the engine's flag parser needs them without loading any source). */
export const ENDPOINT_SOURCE_KINDS = ['file', 'kubernetes', 'both'] as const;
export type EndpointSourceKind = (typeof ENDPOINT_SOURCE_KINDS)[number];
