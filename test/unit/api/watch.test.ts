/**
 * The WatchConnections handler on its own, with a fake server stream: slow
 * clients are cut off, shutdown ends streams, a cancelled stream unsubscribes.
 */
import { status } from '@grpc/grpc-js';
import { strict as assert } from 'node:assert';
import { EventEmitter } from 'node:events';
import { connectionWatches } from '../../../src/engine/api/watch.js';
import { silentLogger } from '../../../src/lib/logger.js';
import { FakeGatewayView, makeConnection } from './fake-view.js';

/** Enough of a grpc-js ServerWritableStream for the handler; never drains. */
class FakeStream extends EventEmitter {
  written: unknown[] = [];
  cancelled = false;
  errors: { code: number; details: string }[] = [];
  constructor() {
    super();
    this.on('error', (e: { code: number; details: string }) => this.errors.push(e));
  }
  get writableLength(): number {
    return this.written.length;
  }
  write(message: unknown): boolean {
    this.written.push(message);
    return false;
  }
  getPeer(): string {
    return 'test-peer';
  }
}

describe('connectionWatches', function () {
  const start = (view: FakeGatewayView, max = 10_000) => {
    const watches = connectionWatches(view, silentLogger(), max);
    const stream = new FakeStream();
    watches.handler(stream as never);
    return { watches, stream };
  };

  it('cuts off a client that falls too far behind, with RESOURCE_EXHAUSTED', () => {
    const view = new FakeGatewayView();
    const { watches, stream } = start(view, 2);
    assert.equal(stream.written.length, 1);
    view.add(makeConnection('cluster3'));
    assert.equal(view.subscribers, 1);
    view.add(makeConnection('cluster4'));
    assert.equal(stream.errors[0]?.code, status.RESOURCE_EXHAUSTED);
    assert.equal(view.subscribers, 0);
    assert.equal(watches.size, 0);
  });

  it('unsubscribes when the client cancels', () => {
    const view = new FakeGatewayView();
    const { watches, stream } = start(view);
    assert.equal(watches.size, 1);
    stream.cancelled = true;
    stream.emit('cancelled');
    assert.equal(view.subscribers, 0);
    assert.equal(watches.size, 0);
  });

  it('ends streams with UNAVAILABLE on closeAll and refuses new ones', () => {
    const view = new FakeGatewayView();
    const { watches, stream } = start(view);
    watches.closeAll();
    assert.equal(stream.errors[0]?.code, status.UNAVAILABLE);
    assert.equal(view.subscribers, 0);
    const late = new FakeStream();
    watches.handler(late as never);
    assert.equal(late.errors[0]?.code, status.UNAVAILABLE);
    assert.equal(view.subscribers, 0);
  });

  it('turns a view that throws into a status instead of a crash', () => {
    const view = new FakeGatewayView();
    view.connections = () => {
      throw new Error('view broke');
    };
    const { stream } = start(view);
    assert.deepEqual(stream.errors, [{ code: status.INTERNAL, details: 'view broke' }]);
    assert.equal(view.subscribers, 0);
  });
});
