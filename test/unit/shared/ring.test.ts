import { Worker } from 'node:worker_threads';
import { describe, expect, test } from 'vitest';
import { ClientMt5Error } from '../../../src/shared/errors.js';
import { Doorbell, SpscRing } from '../../../src/shared/ring.js';

const LAYOUT = { f64Columns: 2, i32Columns: 1 };

/** Deterministic LCG so a failing case can be replayed from its seed. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => { s = (s * 1664525 + 1013904223) >>> 0; return s; };
}

function write(ring: SpscRing, value: number, offset: number): void {
  const slot = (ring.cursor + offset) & ring.mask;
  ring.f64[0][slot] = value;
  ring.f64[1][slot] = value * 0.5 + 0.25;
  ring.i32[0][slot] = (value | 0) % 1000003;
}

describe('SpscRing', () => {
  test('refuses a capacity that is not a power of two', () => {
    for (const bad of [0, 1, 3, 1000, 2 ** 31]) {
      expect(() => SpscRing.create(bad, LAYOUT)).toThrowError(ClientMt5Error);
    }
    expect(() => SpscRing.create(1000, LAYOUT)).toThrow(/power of two/);
  });

  test('never lets the producer overtake the consumer, and keeps every column of every entry', () => {
    const ring = SpscRing.create(64, LAYOUT);
    const consumer = new SpscRing(ring.handle);
    const next = lcg(7);
    let produced = 0;
    let consumed = 0;
    let wrong = 0;
    for (let round = 0; round < 20000; round++) {
      const want = next() % 80;
      const n = Math.min(want, ring.claimable());
      if (ring.claimable() > 64 || consumer.available() > 64) wrong++;
      for (let i = 0; i < n; i++) write(ring, produced + i, i);
      ring.publish(n);
      produced += n;
      const m = Math.min(consumer.available(), next() % 80);
      let seq = consumer.readSequence;
      for (let i = 0; i < m; i++, seq++) {
        const slot = seq & consumer.mask;
        if (consumer.f64[0][slot] !== consumed || consumer.f64[1][slot] !== consumed * 0.5 + 0.25
          || consumer.i32[0][slot] !== consumed % 1000003) wrong++;
        consumed++;
      }
      consumer.release(m);
    }
    expect(wrong).toBe(0);
    expect(produced).toBeGreaterThan(100000);
    expect(consumed).toBe(produced - consumer.available());
  });

  test('keeps working when the free-running sequences wrap past 2^31 and 2^32', () => {
    const ring = SpscRing.create(16, LAYOUT);
    // Start both sequences just below the Int32 wrap, as after ~2^32 ticks of uptime.
    Atomics.store(ring.header, 0, 0x7ffffff0);
    Atomics.store(ring.header, 16, 0x7ffffff0);
    const producer = new SpscRing(ring.handle);
    const consumer = new SpscRing(ring.handle);
    let value = 0;
    let expected = 0;
    for (let round = 0; round < 100; round++) {
      const n = producer.claimable();
      expect(n).toBe(16);
      for (let i = 0; i < n; i++) write(producer, value++, i);
      producer.publish(n);
      expect(consumer.available()).toBe(16);
      expect(producer.claimable()).toBe(0);
      let seq = consumer.readSequence;
      for (let i = 0; i < 16; i++, seq++) expect(consumer.f64[0][seq & consumer.mask]).toBe(expected++);
      consumer.release(16);
    }
    expect(value).toBe(1600);
  });

  for (const seed of [1, 2, 3, 42]) {
    test(`a real second thread receives every entry in order (seed ${seed})`, async () => {
      const next = lcg(seed);
      const capacity = 2 ** (4 + (next() % 9)); // 16 .. 4096
      const maxProducerBatch = 1 + (next() % (capacity * 2));
      const ring = SpscRing.create(capacity, LAYOUT);
      const worker = new Worker(new URL('../../helpers/ring-consumer.worker.mjs', import.meta.url), {
        workerData: { handle: ring.handle, seed, maxConsumerBatch: 1 + (next() % capacity), slowConsumer: seed % 2 === 0 },
      });
      const result = new Promise<{ received: number; errors: number; firstError: string }>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      });
      const total = 300_000;
      let produced = 0;
      while (produced < total) {
        const want = Math.min(1 + (next() % maxProducerBatch), total - produced);
        const free = ring.waitForSpace(Math.min(want, capacity), 1000);
        const n = Math.min(want, free);
        for (let i = 0; i < n; i++) write(ring, produced + i, i);
        ring.publish(n);
        produced += n;
      }
      ring.close();
      const r = await result;
      await worker.terminate();
      expect(r.firstError).toBe('');
      expect(r.errors).toBe(0);
      expect(r.received).toBe(total);
    });
  }

  // A consumer that sleeps must be woken by the producer, not by its timeout (publish and ring()
  // notify only when the consumer's waiting flag is up). The timeouts are 20 s: a lost wake-up
  // shows as a round that slept until its timeout, however slow the machine.
  for (const kind of ['ring', 'doorbell'] as const) {
    test(`a ${kind} consumer asleep is woken by the producer, every round`, async () => {
      const ring = SpscRing.create(64, LAYOUT);
      const bell = new Doorbell();
      const rounds = 20;
      const worker = new Worker(new URL('../../helpers/ring-sleeper.worker.mjs', import.meta.url), {
        workerData: { handle: ring.handle, doorbell: kind === 'doorbell' ? bell.buffer : undefined, rounds, timeoutMs: 20_000 },
      });
      const done = new Promise<{ results: Array<{ ms: number; woke: boolean }> }>((resolve, reject) => {
        worker.on('message', (m: { type: string; round?: number; results?: Array<{ ms: number; woke: boolean }> }) => {
          if (m.type === 'sleeping') {
            // Wake it a little later: mostly once it sleeps, sometimes just before (the race the flag must survive).
            setTimeout(() => {
              if (kind === 'ring') { write(ring, 0, 0); ring.publish(1); } else { bell.ring(); }
            }, (m.round ?? 0) % 2 === 0 ? 0 : 20);
          } else if (m.type === 'done') {
            resolve(m as { results: Array<{ ms: number; woke: boolean }> });
          }
        });
        worker.once('error', reject);
      });
      const { results } = await done;
      await worker.terminate();
      expect(results.length).toBe(rounds);
      for (const r of results) {
        expect(r.woke).toBe(true);
        expect(r.ms).toBeLessThan(10_000);
      }
    }, 60_000);
  }
});
