/**
 * Size limits of the engine API. Every request of GatewayService is a few
 * bytes (a name, a flag), so a request larger than MAX_REQUEST_BYTES is cut
 * off by gRPC with RESOURCE_EXHAUSTED before it is read, and a name longer
 * than MAX_NAME_LENGTH is refused with INVALID_ARGUMENT before it is looked
 * up or echoed anywhere. Answers are never cut: they are bounded by the
 * endpoint limits (src/endpoints/endpoint-policy.ts).
 */
import type { ServerOptions } from '@grpc/grpc-js';
import { InvalidArgumentError } from '../../lib/errors.js';

/** Bytes of one request message. */
export const MAX_REQUEST_BYTES = 16 * 1024;
/** Characters of a name in a request (a cluster id is at most 63, a cable name about 100). */
export const MAX_NAME_LENGTH = 256;

/** Options for every gRPC server of the engine API. */
export const API_SERVER_OPTIONS: ServerOptions = {
  'grpc.max_receive_message_length': MAX_REQUEST_BYTES,
};

/** Throws INVALID_ARGUMENT when `value` is longer than MAX_NAME_LENGTH, without echoing it. */
export function checkNameLength(field: string, value: string): void {
  if (value.length > MAX_NAME_LENGTH)
    throw new InvalidArgumentError(
      `${field} is ${value.length} characters, more than ${MAX_NAME_LENGTH} (the API's name limit); give a cluster id or a cable name`,
    );
}
