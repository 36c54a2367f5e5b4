/**
 * The EA's sending side: per symbol, a send position into the terminal's history; each pass sends
 * everything from it to the end as binary frames (one or more per symbol), and resume cursors move
 * it back. Counts what the bridge got, each tick once, however often it had to be re-sent.
 *
 *   history   [ start ........ sent ........ liveFrom ........ end )
 *                               └─ backlog ─┘└── fresh (this pass) ┘
 *                               FRAME_TICKS_BACKFILL   FRAME_TICKS
 *
 * Fresh ticks go as FRAME_TICKS, which the bridge judges against its receipt clock. Anything
 * older (held back by a pause, a lost link, socket backpressure or a stalled event loop) goes as
 * FRAME_TICKS_BACKFILL with captured_at_ms = when the terminal got the frame's newest tick (UTC);
 * such a frame spans at most BACKFILL_FRAME_SPAN_MS of arrival time, so every tick's age against
 * captured_at_ms stays far below the bridge's stale limit.
 */
import { FRAME_TICKS, FRAME_TICKS_BACKFILL, MAX_TICKS_PER_FRAME, type ResumeCursor } from '../shared/protocol.js';
import { FrameWriter } from './frame-writer.js';
import { BAD_TICK_KINDS, KIND_GOOD, type BadTickKind } from './quotes.js';
import type { SimTerminal } from './terminal.js';

export const BACKFILL_FRAME_SPAN_MS = 1000;
/** A fresh tick older than this when sent goes as backfill instead (the bridge's stale limit is 5 s). */
export const LIVE_MAX_AGE_MS = 1000;

export interface EaSimStats {
  /** Distinct ticks delivered (each counted once, however often re-sent) = good_sent + invalid_injected. */
  ticks_sent: number;
  good_sent: number;
  /** Bad ticks delivered; the bridge must reject exactly these. */
  invalid_injected: number;
  injected_by_kind: Record<BadTickKind, number>;
  frames_sent: number;
  bytes_sent: number;
  paused_ms: number;
  reconnects: number;
  /** Distinct ticks delivered per symbol name. */
  per_symbol: Record<string, number>;
  ticks_generated: number;
  /** Ticks sent again after a resume or reconnect (the bridge had dropped them). */
  ticks_resent: number;
  backfill_frames: number;
  /** Resume cursors older than the history still held (ticks lost for good). */
  history_overruns: number;
}

export class TickStreamer {
  framesSent = 0;
  bytesSent = 0;
  backfillFrames = 0;
  ticksResent = 0;
  historyOverruns = 0;
  /** Distinct ticks sent, per kind (KIND_GOOD, then the bad kinds). */
  readonly sentByKind = new Float64Array(1 + BAD_TICK_KINDS.length);
  readonly sentPerSymbol: Float64Array;
  /** Bridge id per symbol, -1 while the bridge did not list it. */
  readonly symbolIds: Int32Array;
  private readonly terminal: SimTerminal;
  private readonly log: (line: string) => void;
  private readonly sent: Float64Array;
  private readonly everSent: Float64Array;
  private readonly liveFrom: Float64Array;
  private readonly sessionStart: Float64Array;
  private readonly writer = new FrameWriter(MAX_TICKS_PER_FRAME);
  private maxTicksPerFrame = MAX_TICKS_PER_FRAME;

  constructor(terminal: SimTerminal, log: (line: string) => void) {
    const n = terminal.profiles.length;
    this.terminal = terminal;
    this.log = log;
    this.sentPerSymbol = new Float64Array(n);
    this.symbolIds = new Int32Array(n).fill(-1);
    this.sent = new Float64Array(n);
    this.everSent = new Float64Array(n);
    this.liveFrom = new Float64Array(n);
    this.sessionStart = new Float64Array(n);
  }

  /** A new session (welcome): forget the old ids; frames carry at most `maxTicksPerFrame` ticks. */
  beginSession(maxTicksPerFrame: number): void {
    this.symbolIds.fill(-1);
    this.maxTicksPerFrame = Math.max(1, Math.min(MAX_TICKS_PER_FRAME, maxTicksPerFrame));
  }

  /**
   * Positions symbol `s` after the bridge's cursor. A zero cursor means the bridge holds nothing
   * of the symbol: in a welcome the EA starts live (and the bridge has no last tick to compare a
   * duplicate with, so the generator waits for a good tick before the next bad one); in a resume
   * it re-sends everything of this session.
   */
  applyCursor(s: number, cursor: ResumeCursor, fromWelcome: boolean): void {
    const history = this.terminal.histories[s];
    if (cursor.time_msc === 0) {
      if (fromWelcome) {
        this.sent[s] = history.end;
        this.sessionStart[s] = history.end;
        this.terminal.generator.requireGoodTick(s);
      } else {
        this.sent[s] = this.sessionStart[s];
      }
    } else {
      const { index, overrun } = history.seek(cursor.time_msc, cursor.count_at_msc);
      if (overrun) this.overrun(s);
      this.sent[s] = index;
      if (fromWelcome) this.sessionStart[s] = index;
    }
    this.liveFrom[s] = history.end;
  }

  /** Ticks already in the histories go out as backfill; call before generating a pass's fresh ones. */
  markBacklog(): void {
    const histories = this.terminal.histories;
    for (let s = 0; s < histories.length; s++) this.liveFrom[s] = histories[s].end;
  }

  /** Ticks of listed symbols not sent yet. */
  pending(): number {
    let n = 0;
    for (let s = 0; s < this.symbolIds.length; s++) {
      if (this.symbolIds[s] >= 0) n += this.terminal.histories[s].end - this.sent[s];
    }
    return n;
  }

  /**
   * Sends every listed symbol's unsent ticks through `send` (which must copy or write the bytes
   * before returning: the writer's buffer is reused). Stops early, keeping the rest, when
   * `canSend` turns false (socket backpressure).
   */
  sendPending(send: (frame: Uint8Array) => void, canSend: () => boolean, nowUtcMs: number): void {
    const liveAfterMs = nowUtcMs - LIVE_MAX_AGE_MS;
    const histories = this.terminal.histories;
    for (let s = 0; s < histories.length; s++) {
      if (this.symbolIds[s] < 0) continue;
      const history = histories[s];
      let i = this.sent[s];
      if (i < history.start) {
        this.overrun(s);
        i = history.start;
      }
      const liveFrom = Math.max(this.liveFrom[s], i);
      while (i < history.end) {
        if (!canSend()) {
          this.sent[s] = i;
          return;
        }
        const backfill = i < liveFrom || history.generatedAtMs[history.slot(i)] < liveAfterMs;
        i = this.sendFrame(send, s, i, i < liveFrom ? liveFrom : history.end, backfill);
      }
      this.sent[s] = i;
    }
  }

  private sendFrame(send: (frame: Uint8Array) => void, s: number, from: number, to: number, backfill: boolean): number {
    const h = this.terminal.histories[s];
    const w = this.writer;
    const max = this.maxTicksPerFrame;
    const everSent = this.everSent[s];
    const firstGeneratedAt = h.generatedAtMs[h.slot(from)];
    let capturedAt = firstGeneratedAt;
    w.begin(backfill ? FRAME_TICKS_BACKFILL : FRAME_TICKS, this.symbolIds[s]);
    let i = from;
    for (; i < to && w.ticks < max; i++) {
      const k = h.slot(i);
      const generatedAt = h.generatedAtMs[k];
      if (backfill && generatedAt - firstGeneratedAt > BACKFILL_FRAME_SPAN_MS) break;
      capturedAt = generatedAt;
      w.add(h.timeMsc[k], h.bid[k], h.ask[k], h.last[k], h.volume[k], h.flags[k], h.volumeReal[k]);
      if (i >= everSent) {
        this.sentByKind[h.kind[k]]++;
        this.sentPerSymbol[s]++;
      } else {
        this.ticksResent++;
      }
    }
    if (i > everSent) this.everSent[s] = i;
    const frame = w.finish(capturedAt);
    send(frame);
    this.framesSent++;
    this.bytesSent += frame.byteLength;
    if (backfill) this.backfillFrames++;
    return i;
  }

  private overrun(s: number): void {
    this.historyOverruns++;
    this.log(`${this.terminal.profiles[s].name}: resume cursor is older than the ${this.terminal.histories[s].capacity} ticks of history held; ticks lost`);
  }

  /** The counters as the stats() record (paused time and reconnects come from the link). */
  snapshot(pausedMs: number, reconnects: number): EaSimStats {
    const injected = {} as Record<BadTickKind, number>;
    let invalid = 0;
    for (let k = 0; k < BAD_TICK_KINDS.length; k++) {
      injected[BAD_TICK_KINDS[k]] = this.sentByKind[k + 1];
      invalid += this.sentByKind[k + 1];
    }
    const perSymbol: Record<string, number> = {};
    this.terminal.profiles.forEach((p, s) => { perSymbol[p.name] = this.sentPerSymbol[s]; });
    const good = this.sentByKind[KIND_GOOD];
    return {
      ticks_sent: good + invalid,
      good_sent: good,
      invalid_injected: invalid,
      injected_by_kind: injected,
      frames_sent: this.framesSent,
      bytes_sent: this.bytesSent,
      paused_ms: Math.round(pausedMs),
      reconnects,
      per_symbol: perSymbol,
      ticks_generated: this.terminal.generated,
      ticks_resent: this.ticksResent,
      backfill_frames: this.backfillFrames,
      history_overruns: this.historyOverruns,
    };
  }
}
