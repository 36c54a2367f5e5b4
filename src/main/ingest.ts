/**
 * Ingest on the socket thread: EA tick frames into the lanes' input rings.
 *
 *   frame ──parse──► lane of its symbol ──fits and no backlog──► ring (write + one publish)
 *                                      └──otherwise──► lane backlog (a copy) + pause the EA
 *   timer ──► backlog into rings as space frees ──► all empty ──► resume the EA
 *
 * The socket thread never blocks and never drops: a frame that does not fit waits in the lane's
 * backlog, whose size is bounded because the EA stops sending once it is told to pause.
 */
import { MAX_SYMBOLS } from '../shared/lanes.js';
import { FRAME_TICKS_BACKFILL, type ResumeCursor } from '../shared/protocol.js';
import type { SpscRing } from '../shared/ring.js';
import { FrameReader } from './ea-frame.js';
import type { SymbolRegistry } from './symbol-registry.js';

interface HeldFrame {
  bytes: ArrayBuffer;
  offsetMs: number;
  recvMs: number;
}

export interface IngestStats {
  frames: number;
  ticks: number;
  backfillTicks: number;
  badFrames: number;
  unknownSymbolFrames: number;
  framesHeld: number;
  backlogMaxFrames: number;
  pauses: number;
}

/** How far ahead of receipt a backfill frame's capture time may be (clock skew between threads). */
const CAPTURED_AHEAD_LIMIT_MS = 1000;

export type IngestResult = 'ok' | 'bad-frame' | 'unknown-symbol';

export class Ingest {
  readonly stats: IngestStats = {
    frames: 0, ticks: 0, backfillTicks: 0, badFrames: 0, unknownSymbolFrames: 0, framesHeld: 0, backlogMaxFrames: 0, pauses: 0,
  };
  readonly reader = new FrameReader();
  private readonly backlog: HeldFrame[][];
  private paused = false;
  private drainTimer: NodeJS.Timeout | null = null;
  private readonly drainReader = new FrameReader();
  /** Per symbol id: [time_msc (server clock), count_at_msc] over every tick taken in. */
  private readonly cursors = new Float64Array(MAX_SYMBOLS * 2);
  /**
   * The same over every tick written to a ring (frames held in the backlog are taken in but not
   * yet written): what each tick carries through the pipeline to the spool.
   */
  private readonly ringCursors = new Float64Array(MAX_SYMBOLS * 2);
  /** The user's current quote per symbol id (src/main/commands/price-table.ts), fed from each frame's last tick. */
  quotes: Float64Array | null = null;

  constructor(
    private readonly rings: readonly SpscRing[],
    private readonly registry: SymbolRegistry,
    private readonly flow: { pause(reason: string): void; resume(): void },
  ) {
    this.backlog = rings.map(() => []);
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** One binary frame from the EA. `frame` is only valid during this call (uWS neuters it). */
  onFrame(frame: ArrayBuffer, offsetMs: number, recvMs: number): IngestResult {
    const reader = this.reader;
    if (!reader.parse(frame)) {
      this.stats.badFrames++;
      return 'bad-frame';
    }
    const lane = reader.symbolId < this.registry.laneOf.length ? this.registry.laneOf[reader.symbolId] : -1;
    if (lane < 0) {
      this.stats.unknownSymbolFrames++;
      return 'unknown-symbol';
    }
    if (reader.type === FRAME_TICKS_BACKFILL && reader.capturedAtMs > recvMs + CAPTURED_AHEAD_LIMIT_MS) {
      // A capture time ahead of our clock would make stale ticks look fresh.
      reader.error = `backfill frame captured_at_ms ${reader.capturedAtMs} is ${Math.round(reader.capturedAtMs - recvMs)} ms ahead of the bridge's clock`;
      this.stats.badFrames++;
      return 'bad-frame';
    }
    this.stats.frames++;
    this.stats.ticks += reader.count;
    if (reader.type === FRAME_TICKS_BACKFILL) this.stats.backfillTicks += reader.count;
    reader.advanceCursor(this.cursors);
    if (this.quotes !== null) reader.readLastQuote(this.quotes, offsetMs);
    const ring = this.rings[lane];
    const held = this.backlog[lane];
    if (held.length === 0 && ring.claimable() >= reader.count) {
      reader.writeTo(ring, offsetMs, recvMs, this.ringCursors);
      ring.publish(reader.count);
      return 'ok';
    }
    held.push({ bytes: frame.slice(0), offsetMs, recvMs });
    this.stats.framesHeld++;
    const total = this.backlogFrames();
    if (total > this.stats.backlogMaxFrames) this.stats.backlogMaxFrames = total;
    if (!this.paused) {
      this.paused = true;
      this.stats.pauses++;
      this.flow.pause(`lane ${lane} ring full`);
    }
    this.scheduleDrain();
    return 'ok';
  }

  /** Where the EA should continue a symbol after a reconnect: what the bridge took in (server clock). */
  cursorOf(id: number): ResumeCursor {
    return { time_msc: this.cursors[2 * id], count_at_msc: this.cursors[2 * id + 1] };
  }

  /**
   * Starts a symbol's cursor where an earlier run left it durably (the spool's cursor table), so
   * that the first welcome makes the EA backfill exactly what that run lost. Before any frame of it.
   */
  seedCursor(id: number, cursor: ResumeCursor): void {
    this.cursors[2 * id] = this.ringCursors[2 * id] = cursor.time_msc;
    this.cursors[2 * id + 1] = this.ringCursors[2 * id + 1] = cursor.count_at_msc;
  }

  backlogFrames(): number {
    let n = 0;
    for (const b of this.backlog) n += b.length;
    return n;
  }

  /** True when every accepted frame has been published to a ring. */
  get idle(): boolean {
    return this.backlogFrames() === 0;
  }

  stop(): void {
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.drainTimer = null;
  }

  private scheduleDrain(): void {
    if (this.drainTimer) return;
    this.drainTimer = setTimeout(() => {
      this.drainTimer = null;
      this.drainBacklog();
    }, 1);
  }

  private drainBacklog(): void {
    const reader = this.drainReader;
    for (let lane = 0; lane < this.backlog.length; lane++) {
      const held = this.backlog[lane];
      const ring = this.rings[lane];
      while (held.length > 0) {
        const f = held[0];
        reader.parse(f.bytes);
        if (ring.claimable() < reader.count) break;
        reader.writeTo(ring, f.offsetMs, f.recvMs, this.ringCursors);
        ring.publish(reader.count);
        held.shift();
      }
    }
    if (this.backlogFrames() > 0) {
      this.scheduleDrain();
    } else if (this.paused) {
      this.paused = false;
      this.flow.resume();
    }
  }
}
