/**
 * A dead peer costs nothing (issue 12, item 4), the status side: pluto's log
 * is followed incrementally (each refresh parses only the new lines) and the
 * classifier, fed the follower's per-connection index, gives the verdicts it
 * gives on the whole log tail.
 */
import assert from 'node:assert/strict';
import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LogFollower } from '../../../drivers/libreswan/pluto/log-tail.js';
import { classifySa } from '../../../src/lib/whack/index.js';
import { removeDir, tempDir } from '../../../lab/fs-helpers.js';
import { fixture } from '../whack/fixtures.js';

const initiator = fixture('pluto-4.10-initiator.log').split('\n').filter(Boolean);

describe('LogFollower (unit, real temp file)', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir('cabled-follow-');
  });
  afterEach(() => removeDir(dir));

  it('should give the classifier the same verdicts as the whole log, reading only what is new', async () => {
    const file = join(dir, 'pluto.log');
    const half = Math.floor(initiator.length / 2);
    await writeFile(file, `${initiator.slice(0, half).join('\n')}\n`);
    const f = new LogFollower(file);
    await f.refresh();
    await appendFile(file, `${initiator.slice(half).join('\n')}\n`);
    const idx = await f.refresh();
    for (const connection of ['dead', 'closed', 't1']) {
      const whole = classifySa({ connection, logLines: initiator });
      const followed = classifySa({
        connection,
        logEvents: idx.get(connection)?.events ?? [],
        lastPeer: idx.get(connection)?.lastPeer,
      });
      assert.equal(followed.verdict, whole.verdict, connection);
      assert.equal(followed.reason, whole.reason, connection);
    }
    assert.equal(
      classifySa({ connection: 'dead', logEvents: idx.get('dead')?.events, lastPeer: idx.get('dead')?.lastPeer })
        .reason,
      'no answer from peer 10.99.0.9 (No route to host)',
    );
  });

  it('should cost time linear in the new lines: 1000 failing connections, a refresh parses only what is new', async () => {
    const file = join(dir, 'pluto.log');
    const lines: string[] = [];
    for (let i = 0; i < 1000; i++) {
      lines.push(
        `Dec  1 10:00:00.000000: "cable-${i}-0" #${i + 1}: sent IKE_SA_INIT request to 10.202.1.${i % 250}:500`,
      );
      lines.push(
        `Dec  1 10:00:01.000000: "cable-${i}-0" #${i + 1}: STATE_V2_PARENT_I1: 3 second timeout exceeded after 4 retransmits.  No response (or no acceptable response) to our first IKEv2 message`,
      );
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const f = new LogFollower(file, { initialBytes: 1 << 20 });
    let t = performance.now();
    const idx = await f.refresh();
    const firstMs = performance.now() - t;
    t = performance.now();
    let verdicts = 0;
    for (let i = 0; i < 1000; i++) {
      const c = idx.get(`cable-${i}-0`);
      if (
        classifySa({ connection: `cable-${i}-0`, logEvents: c?.events ?? [], lastPeer: c?.lastPeer }).verdict ===
        'no-answer'
      )
        verdicts++;
    }
    const classifyMs = performance.now() - t;
    const parsedBefore = f.linesParsed;
    t = performance.now();
    await f.refresh();
    const idleMs = performance.now() - t;
    process.stdout.write(
      `      1000 failing connections: first read ${firstMs.toFixed(1)} ms, classify all ${classifyMs.toFixed(1)} ms, refresh with nothing new ${idleMs.toFixed(2)} ms\n`,
    );
    assert.equal(verdicts, 1000);
    // The cost, counted rather than timed (a wall clock on a busy CI machine says nothing): every line parsed
    // once by the first read, none again by a refresh with nothing new; then only the new lines.
    assert.equal(parsedBefore, 2000);
    assert.equal(f.linesParsed, 2000, 'an idle refresh parses nothing');
    await appendFile(file, `${lines[0]}\n`);
    await f.refresh();
    assert.equal(f.linesParsed, 2001, 'a refresh parses only the new line');
  });

  it('should keep the events of a connection logged before it is wanted (still being installed), and forget it once unwanted for the grace time', async () => {
    const file = join(dir, 'pluto.log');
    const line = (conn: string) =>
      `Dec  1 18:46:55.517982: "${conn}" #2: IKE_AUTH response missing v2SA, v2TSi or v2TSr: not attempting to setup CHILD SA`;
    await writeFile(file, `${line('installing')}\n${line('removed')}\n`);
    const f = new LogFollower(file, { graceMs: 60000 });
    await f.refresh();
    // The refresh ran while "installing" was not yet a wanted connection: its event must survive.
    f.retain(new Set(), 1000);
    f.retain(new Set(['installing']), 2000);
    const idx = await f.refresh();
    assert.equal(idx.get('installing')?.events[0]?.kind, 'child-payloads-missing');
    f.retain(new Set(['installing']), 61000);
    assert.ok(idx.has('removed'), 'kept within the grace time');
    f.retain(new Set(['installing']), 61001);
    assert.ok(!idx.has('removed'), 'forgotten after the grace time');
    assert.ok(idx.has('installing'));
  });

  it('should start afresh when the log was truncated', async () => {
    const file = join(dir, 'pluto.log');
    await writeFile(file, `${initiator.join('\n')}\n`);
    const f = new LogFollower(file);
    assert.ok((await f.refresh()).has('dead'));
    await writeFile(file, '');
    await appendFile(file, `${initiator.filter((l) => l.includes('"closed"')).join('\n')}\n`);
    const idx = await f.refresh();
    assert.equal(idx.has('dead'), false);
    assert.ok(idx.has('closed'));
  });

  it('should say once that an SA was logged established since it was last asked (a steadily down cable came up)', async () => {
    const file = join(dir, 'pluto.log');
    const retransmit = (i: number) =>
      `Dec  1 10:00:0${i}.000000: "dead" #1: STATE_V2_PARENT_I1: retransmission; will wait 1 seconds for response`;
    await writeFile(file, `${retransmit(1)}\n`);
    const f = new LogFollower(file);
    await f.refresh();
    assert.equal(f.takeEstablished(), false, 'retransmissions are no news');
    await appendFile(file, `${retransmit(2)}\n`);
    await f.refresh();
    assert.equal(f.takeEstablished(), false);
    await appendFile(
      file,
      'Dec  1 10:00:03.000000: "t1" #2: initiator established IKE SA; authenticated peer using preloaded certificate\n',
    );
    await f.refresh();
    assert.equal(f.takeEstablished(), true);
    assert.equal(f.takeEstablished(), false, 'said once');
    await appendFile(file, 'Dec  1 10:00:04.000000: "t1" #3: IPsec SA established transport mode {ESP=>0x1234}\n');
    await f.refresh();
    assert.equal(f.takeEstablished(), true);
  });

  it("should say once that pluto logged news (not a dead peer's retransmissions and timeouts)", async () => {
    const file = join(dir, 'pluto.log');
    await writeFile(
      file,
      [
        'Dec  1 10:00:01.000000: "dead" #1: STATE_V2_PARENT_I1: retransmission; will wait 1 seconds for response',
        'Dec  1 10:00:02.000000: "dead" #1: STATE_V2_PARENT_I1: 60 second timeout exceeded after 7 retransmits.  No response (or no acceptable response) to our first IKEv2 message',
        'Dec  1 10:00:03.000000: "dead" #2: initiating IKEv2 connection',
        '',
      ].join('\n'),
    );
    const f = new LogFollower(file);
    await f.refresh();
    assert.equal(f.takeNews(), false, 'a dead peer is no news');
    await appendFile(
      file,
      'Dec  1 10:00:04.000000: "t1" #1: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED\n',
    );
    await f.refresh();
    assert.equal(f.takeNews(), true, 'an authentication failure is');
    assert.equal(f.takeNews(), false, 'said once');
  });

  it("should keep a dead peer's endless retransmissions and timeouts as one event per kind, and the events around them", async () => {
    const file = join(dir, 'pluto.log');
    const at = (n: number): string => `Dec  1 10:00:${String(n).padStart(2, '0')}.000000`;
    const lines = [`${at(0)}: "dead" #1: sent IKE_SA_INIT request to 10.202.1.1:500`];
    for (let round = 0; round < 30; round++) {
      for (let k = 1; k <= 7; k++)
        lines.push(
          `${at(k)}: "dead" #${round + 1}: IKE_SA_INIT_I: retransmission; will wait ${k} seconds for response`,
        );
      lines.push(
        `${at(8)}: "dead" #${round + 1}: STATE_V2_PARENT_I1: 60 second timeout exceeded after 7 retransmits.  No response (or no acceptable response) to our first IKEv2 message`,
      );
    }
    await writeFile(file, `${lines.join('\n')}\n`);
    const f = new LogFollower(file);
    const events = (await f.refresh()).get('dead')?.events ?? [];
    // 240 routine events logged: the run keeps one of each kind, the first with its count, latest last.
    assert.deepEqual(
      events.map((e) => [e.kind, e.repeats]),
      [
        ['retransmit', 210],
        ['no-answer', 30],
      ],
    );
    assert.equal(events.at(-1)?.serial, 30, 'the latest serial');
    assert.equal(
      classifySa({ connection: 'dead', logEvents: events, lastPeer: (await f.refresh()).get('dead')?.lastPeer }).reason,
      classifySa({ connection: 'dead', logLines: lines }).reason,
    );
    // Another event ends the run; the routine events after it form a new one, ordered by their latest line.
    const more = [
      `${at(40)}: "dead" #31: IKE SA authentication request rejected by peer: AUTHENTICATION_FAILED`,
      `${at(41)}: "dead" #32: IKE_SA_INIT_I: retransmission; will wait 1 seconds for response`,
      `${at(42)}: "dead" #32: ERROR: asynchronous network error report on eth0 (10.0.0.1:500), complainant 10.202.1.1: No route to host [errno 113, origin ICMP type 3 code 1 (not authenticated)]`,
      `${at(43)}: "dead" #32: ERROR: asynchronous network error report on eth0 (10.0.0.1:500), complainant 10.202.1.1: Connection refused [errno 111, origin ICMP type 3 code 3]`,
      `${at(44)}: "dead" #32: IKE_SA_INIT_I: retransmission; will wait 2 seconds for response`,
    ];
    await appendFile(file, `${more.join('\n')}\n`);
    const after = (await f.refresh()).get('dead')?.events ?? [];
    assert.deepEqual(
      after.map((e) => [e.kind, e.repeats ?? 1, e.detail]),
      [
        ['retransmit', 210, undefined],
        ['no-answer', 30, undefined],
        ['auth-failed', 1, undefined],
        ['network-error', 1, 'No route to host'],
        ['network-error', 1, 'Connection refused'],
        ['retransmit', 2, undefined],
      ],
    );
    const all = [...lines, ...more];
    assert.equal(
      classifySa({ connection: 'dead', logEvents: after, lastPeer: 'x' }).reason,
      classifySa({ connection: 'dead', logLines: all, lastPeer: 'x' }).reason,
    );
  });

  it('should read a log in chunks without splitting a line or a character at their borders', async () => {
    const file = join(dir, 'pluto.log');
    const line = (n: number) =>
      `Dec  1 10:00:00.000000: "c\u00e9-${n}" #${n}: STATE_V2_PARENT_I1: 3 second timeout exceeded after 4 retransmits.  No response (or no acceptable response) to our first IKEv2 message`;
    const lines = Array.from({ length: 2000 }, (_, n) => line(n)); // about 330 KB: several 64 KiB reads
    // A first line long enough that the next line's two-byte \u00e9 starts at byte 65535, the last of the first read.
    const head = 'Dec  1 10:00:00.000000: "filler": added IKEv2 connection ';
    const filler = head + 'x'.repeat(65535 - Buffer.byteLength('Dec  1 10:00:00.000000: "c') - 1 - head.length);
    await writeFile(file, `${[filler, ...lines].join('\n')}\n`);
    const f = new LogFollower(file, { initialBytes: 1 << 20 });
    const idx = await f.refresh();
    assert.equal(f.linesParsed, 2001);
    assert.equal(idx.size, 2000);
    for (let n = 0; n < 2000; n++) assert.equal(idx.get(`c\u00e9-${n}`)?.events[0]?.kind, 'no-answer', `c\u00e9-${n}`);
  });
});
