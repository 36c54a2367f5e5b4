// Resume cursors into the simulated terminal's history: CopyTicks' inclusive start with
// count_at_msc, generalised to the running maximum so that out-of-order bad ticks keep a position.
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src/ea-sim/rng.js';
import { TickHistory } from '../../../src/ea-sim/tick-history.js';
import { CursorModel } from './bridge-rules.js';

function historyOf(times: number[], capacity = 64): TickHistory {
  const h = new TickHistory(capacity);
  times.forEach((t, i) => h.append(t, 1 + i / 1e5, 1.0001 + i / 1e5, 0, 0, 6, 0, 0, t));
  return h;
}

describe('TickHistory.seek', () => {
  // index:       0    1    2    3    4    5    6
  const times = [100, 100, 101, 101, 101, 105, 105];
  const h = historyOf(times);

  it('starts inclusively at the cursor millisecond and skips the ticks the bridge already holds there', () => {
    expect(h.seek(101, 0).index).toBe(2);
    expect(h.seek(101, 1).index).toBe(3);
    expect(h.seek(101, 2).index).toBe(4);
    expect(h.seek(101, 3).index).toBe(5);
  });

  it('treats a count beyond the ticks at that millisecond as all of them, and a cursor between ticks as the next one', () => {
    expect(h.seek(101, 9).index).toBe(5);
    expect(h.seek(103, 0).index).toBe(5);
    expect(h.seek(99, 0).index).toBe(0);
  });

  it('has nothing to send after the newest tick', () => {
    expect(h.seek(105, 2).index).toBe(7);
    expect(h.seek(200, 0).index).toBe(7);
    expect(h.seek(105, 2).overrun).toBe(false);
  });

  it('positions out-of-order ticks at the running maximum, as the bridge counts them', () => {
    // A stale tick (50) and a backwards one (99) after 101, a future one (900), then ordinary ones.
    const odd = historyOf([100, 101, 50, 99, 101, 102, 900, 103, 104]);
    const model = new CursorModel();
    for (let i = 0; i < 4; i++) model.add([100, 101, 50, 99][i]);
    expect([model.time, model.count]).toEqual([101, 3]);
    expect(odd.seek(101, 3).index).toBe(4);
    expect(odd.seek(900, 1).index).toBe(7);
    expect(odd.seek(900, 2).index).toBe(8);
  });

  it('resumes exactly after any prefix the bridge received, for random streams with repeats and bad times', () => {
    const rng = new Rng(9);
    for (let round = 0; round < 50; round++) {
      const times: number[] = [];
      let t = 1000;
      for (let i = 0; i < 300; i++) {
        const r = rng.next();
        if (r < 0.5) t += 0; // same millisecond
        else if (r < 0.9) t += rng.int(1, 3);
        times.push(r > 0.97 ? t - rng.int(1, 50) : r > 0.96 ? t + rng.int(1, 50) : t);
      }
      const h = historyOf(times, 512);
      const model = new CursorModel();
      for (let p = 1; p <= times.length; p++) {
        model.add(times[p - 1]);
        expect(h.seek(model.time, model.count).index).toBe(p);
      }
    }
  });

  it('reports a cursor older than what the history still holds', () => {
    const small = historyOf([10, 11, 12, 12, 13, 14], 3); // holds the last three: 12 13 14
    expect(small.start).toBe(3);
    expect(small.seek(11, 1)).toEqual({ index: 3, overrun: true });
    expect(small.seek(12, 0)).toEqual({ index: 3, overrun: true }); // needs the evicted first tick at 12
    expect(small.seek(12, 1)).toEqual({ index: 3, overrun: false });
    expect(small.seek(12, 2)).toEqual({ index: 4, overrun: false });
    expect(small.seek(13, 1)).toEqual({ index: 5, overrun: false });
  });
});
