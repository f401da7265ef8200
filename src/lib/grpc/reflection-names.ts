/** What reflection.ts and reflection-service.ts share (neither imports the other statically). */

/** The reflection services, in the versions clients use (v1alpha: grpcurl before 1.9, older grpcio). */
export const REFLECTION_SERVICES = ['grpc.reflection.v1.ServerReflection', 'grpc.reflection.v1alpha.ServerReflection'];

/** Answers one serialized ServerReflectionRequest of `service` with a serialized response. */
export type ReflectionAnswerer = (service: string, request: Uint8Array) => Uint8Array;
