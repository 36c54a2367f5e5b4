import { describe, expect, test } from 'vitest';
import { FramePool } from '../../../src/workers/frame-pool.js';

describe('FramePool', () => {
  test('a released frame\'s memory is handed out again; one still out never is', () => {
    const pool = new FramePool();
    const a = pool.acquire(460_000);
    const b = pool.acquire(460_000);
    expect(a.length).toBe(460_000);
    expect(a.buffer).not.toBe(b.buffer); // both out: distinct memory
    a.fill(7);
    pool.release(a);
    const c = pool.acquire(300_000); // the same capacity class
    expect(c.buffer).toBe(a.buffer);
    expect(c.length).toBe(300_000);
    expect(b[0]).not.toBe(undefined);
    expect(pool.allocated).toBe(2);
    expect(pool.reused).toBe(1);
  });

  test('releasing twice, or a buffer the pool never gave out, changes nothing', () => {
    const pool = new FramePool();
    const a = pool.acquire(70_000);
    pool.release(a);
    pool.release(a);
    pool.release(Buffer.alloc(70_000));
    const x = pool.acquire(70_000);
    const y = pool.acquire(70_000);
    expect(x.buffer).toBe(a.buffer);
    expect(y.buffer).not.toBe(a.buffer); // a came back once, so it is out once
  });

  test('sizes go by capacity class, and only a few free buffers are kept per class', () => {
    const pool = new FramePool();
    const small = pool.acquire(1000);
    const big = pool.acquire(1_000_000);
    expect(small.buffer.byteLength).toBe(65_536);
    expect(big.buffer.byteLength).toBe(1_048_576);
    pool.release(small);
    expect(pool.acquire(2_000_000).buffer).not.toBe(small.buffer);
    const many = Array.from({ length: 10 }, () => pool.acquire(100_000));
    for (const f of many) pool.release(f);
    const again = Array.from({ length: 10 }, () => pool.acquire(100_000));
    expect(new Set(again.map((f) => f.buffer)).size).toBe(10);
    expect(again.filter((f) => many.some((m) => m.buffer === f.buffer)).length).toBe(4);
  });
});
