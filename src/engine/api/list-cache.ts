/**
 * ListConnections without re-encoding: the engine keeps the same connection
 * list object for as long as nothing in it changes, so the response built
 * for one list object is reused, and its encoding with it. A status refresh
 * that changes nothing costs the API nothing; 1000 connections encode to
 * ~300 KB, which takes 5-15 ms on the event loop.
 */
import type { Connection } from '../../generated/cabled/driver/v1/driver.js';
import { GatewayServiceService, ListConnectionsResponse } from '../../generated/cabled/engine/v1/engine.js';

let lastList: readonly Connection[] | undefined;
let lastResponse: ListConnectionsResponse | undefined;
const encoded = new WeakMap<ListConnectionsResponse, Buffer>();

/** The response for `connections`: the same object as last time when the list is the same object. */
export function listResponse(connections: Connection[]): ListConnectionsResponse {
  if (connections !== lastList || !lastResponse) {
    lastList = connections;
    lastResponse = { connections };
  }
  return lastResponse;
}

/** GatewayService's definition with ListConnections answers encoded once per response object. */
export const GatewayServiceDefinition: typeof GatewayServiceService = {
  ...GatewayServiceService,
  listConnections: {
    ...GatewayServiceService.listConnections,
    responseSerialize: (value: ListConnectionsResponse): Buffer => {
      let bytes = encoded.get(value);
      if (!bytes) {
        bytes = Buffer.from(ListConnectionsResponse.encode(value).finish());
        encoded.set(value, bytes);
      }
      return bytes;
    },
  },
};
