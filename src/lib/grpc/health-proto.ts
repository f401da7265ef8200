/**
 * grpc.health.v1 (Check, Watch, List) as a grpc-js service definition, with
 * its four small messages encoded by hand on @bufbuild/protobuf's wire
 * format (as the generated code of our own protos is). The `grpc-health-check`
 * package would load proto-loader and parse health.proto in every process at
 * start; this is the same protocol without that cost. Messages have the shape
 * proto-loader gave them (enums as their names).
 */
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';

export type ServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';
const STATUSES: readonly ServingStatus[] = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

export interface HealthCheckRequest {
  service: string;
}
export interface HealthCheckResponse {
  status: ServingStatus;
}
export type HealthListRequest = Record<string, never>;
export interface HealthListResponse {
  statuses: Record<string, HealthCheckResponse>;
}

/** Reads a message's fields: `field(number, wireType)` returns false for a field it does not take. */
function decode(bytes: Uint8Array, field: (reader: BinaryReader, no: number, wireType: number) => boolean): void {
  const reader = new BinaryReader(bytes);
  decodeFrom(reader, reader.len, field);
}

function decodeFrom(
  reader: BinaryReader,
  end: number,
  field: (reader: BinaryReader, no: number, wireType: number) => boolean,
): void {
  while (reader.pos < end) {
    const tag = reader.uint32();
    if (!field(reader, tag >>> 3, tag & 7)) reader.skip(tag & 7);
  }
}

function statusOf(code: number): ServingStatus {
  return STATUSES[code] ?? 'UNKNOWN';
}

function writeResponse(writer: BinaryWriter, message: HealthCheckResponse): BinaryWriter {
  const code = STATUSES.indexOf(message.status);
  if (code > 0) writer.uint32(8).int32(code);
  return writer;
}

function readResponse(reader: BinaryReader, end: number): HealthCheckResponse {
  const message: HealthCheckResponse = { status: 'UNKNOWN' };
  decodeFrom(reader, end, (r, no, wt) => {
    if (no !== 1 || wt !== 0) return false;
    message.status = statusOf(r.int32());
    return true;
  });
  return message;
}

export const HealthCheckRequest = {
  encode: (message: HealthCheckRequest): Buffer => {
    const writer = new BinaryWriter();
    if (message.service) writer.uint32(10).string(message.service);
    return Buffer.from(writer.finish());
  },
  decode: (bytes: Uint8Array): HealthCheckRequest => {
    const message: HealthCheckRequest = { service: '' };
    decode(bytes, (r, no, wt) => {
      if (no !== 1 || wt !== 2) return false;
      message.service = r.string();
      return true;
    });
    return message;
  },
};

export const HealthCheckResponse = {
  encode: (message: HealthCheckResponse): Buffer => Buffer.from(writeResponse(new BinaryWriter(), message).finish()),
  decode: (bytes: Uint8Array): HealthCheckResponse => {
    const reader = new BinaryReader(bytes);
    return readResponse(reader, reader.len);
  },
};

export const HealthListRequest = {
  encode: (_: HealthListRequest): Buffer => Buffer.alloc(0),
  decode: (bytes: Uint8Array): HealthListRequest => {
    decode(bytes, () => false);
    return {};
  },
};

export const HealthListResponse = {
  encode: (message: HealthListResponse): Buffer => {
    const writer = new BinaryWriter();
    for (const [name, response] of Object.entries(message.statuses)) {
      writer.uint32(10).fork();
      writer.uint32(10).string(name);
      writeResponse(writer.uint32(18).fork(), response).join();
      writer.join();
    }
    return Buffer.from(writer.finish());
  },
  decode: (bytes: Uint8Array): HealthListResponse => {
    const message: HealthListResponse = { statuses: {} };
    decode(bytes, (r, no, wt) => {
      if (no !== 1 || wt !== 2) return false;
      const end = r.uint32() + r.pos;
      let name = '';
      let response: HealthCheckResponse = { status: 'UNKNOWN' };
      decodeFrom(r, end, (e, entryNo, entryWt) => {
        if (entryNo === 1 && entryWt === 2) name = e.string();
        else if (entryNo === 2 && entryWt === 2) {
          const length = e.uint32();
          response = readResponse(e, e.pos + length);
        } else return false;
        return true;
      });
      message.statuses[name] = response;
      return true;
    });
    return message;
  },
};

/** The grpc.health.v1.Health service, for Server.addService and makeGenericClientConstructor. */
export const HealthServiceDefinition = {
  check: {
    path: '/grpc.health.v1.Health/Check',
    requestStream: false,
    responseStream: false,
    requestSerialize: HealthCheckRequest.encode,
    requestDeserialize: HealthCheckRequest.decode,
    responseSerialize: HealthCheckResponse.encode,
    responseDeserialize: HealthCheckResponse.decode,
  },
  watch: {
    path: '/grpc.health.v1.Health/Watch',
    requestStream: false,
    responseStream: true,
    requestSerialize: HealthCheckRequest.encode,
    requestDeserialize: HealthCheckRequest.decode,
    responseSerialize: HealthCheckResponse.encode,
    responseDeserialize: HealthCheckResponse.decode,
  },
  list: {
    path: '/grpc.health.v1.Health/List',
    requestStream: false,
    responseStream: false,
    requestSerialize: HealthListRequest.encode,
    requestDeserialize: HealthListRequest.decode,
    responseSerialize: HealthListResponse.encode,
    responseDeserialize: HealthListResponse.decode,
  },
} as const;
