/**
 * `client-mt5 indicators --in FILE.csv --out OUT.csv [--in … --out …] [--threads N]`: the 13
 * engine indicators over price files (an MT5 tick export, a backfill, a check against another
 * tool). Each pair is one piscina task; the pool runs them in parallel on up to `threads` workers.
 *
 *   main: compile build/engine.wasm once ──workerData──► workers: Engine.instantiate once each
 *         pool.run({ in, out }) per file ──────────────► stream in.csv → out.csv (indicators.worker.ts)
 *
 * Input: a header row, then rows with a `price` column, or `bid` and `ask` columns whose mid is
 * used (names case-insensitive, MT5's `<BID>` style accepted, delimiter comma, semicolon or tab;
 * an empty bid or ask keeps the previous one, as in MT5 exports, and rows before the first full
 * quote get empty indicators). Output: every input row unchanged, with sma20, sma50, ema12, ema26,
 * ema20, ema50, rsi14, macd, macd_signal, macd_hist, bb_upper, bb_middle, bb_lower appended as the
 * last 13 columns, 17 significant digits without trailing zeros (every double reads back bit for
 * bit), empty until each has a value.
 *
 * An input that already has columns with those names (a previous output, the TA-Lib fixtures)
 * keeps them untouched and still gets all 13 appended, so the output header repeats the names:
 * the last 13 columns are always this engine's. `shadowedColumns` in the result lists the repeated
 * names so that the caller can say so.
 */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { compileEngineModule } from '../shared/engine-module.js';
import { ClientMt5Error, fromWire, type WireError } from '../shared/errors.js';
import { workerFile } from './worker-paths.js';

export interface IndicatorsOptions {
  inputs: string[];
  outputs: string[];
  /** Worker threads; default: one per file, at most the machine's available parallelism. */
  threads?: number;
}

export interface IndicatorsFileResult {
  in: string;
  out: string;
  /** Data rows written (blank lines are skipped). */
  rows: number;
  /** Whether the `price` column or the bid/ask mid was used. */
  priceSource: 'price' | 'mid';
  /** Indicator names the input already had as columns; they now appear twice in the output. */
  shadowedColumns: string[];
}

/** What indicators.worker.ts returns (structurally; main does not import workers). */
type TaskResult =
  | { ok: true; rows: number; priceSource: 'price' | 'mid'; shadowedColumns: string[] }
  | { ok: false; error: WireError };

export async function runIndicators(opts: IndicatorsOptions): Promise<{ files: IndicatorsFileResult[] }> {
  const { inputs, outputs } = opts;
  if (inputs.length === 0 || inputs.length !== outputs.length) {
    throw new ClientMt5Error('CLI_USAGE', `indicators needs one --out per --in, got ${inputs.length} --in and ${outputs.length} --out`);
  }
  const ins = inputs.map((p) => resolve(p));
  const outs = outputs.map((p) => resolve(p));
  for (let i = 0; i < outs.length; i++) {
    if (outs.indexOf(outs[i]) !== i) throw new ClientMt5Error('CLI_USAGE', `--out ${outputs[i]} is given twice`);
    if (ins.includes(outs[i])) throw new ClientMt5Error('CLI_USAGE', `--out ${outputs[i]} would overwrite an input`);
  }
  const maxThreads = Math.max(1, Math.min(ins.length, availableParallelism()));
  const threads = opts.threads ?? maxThreads;
  if (!Number.isInteger(threads) || threads < 1 || threads > 64) {
    throw new ClientMt5Error('CLI_USAGE', `threads must be an integer from 1 to 64, got ${JSON.stringify(opts.threads)}`);
  }

  const module = compileEngineModule();
  const pool = new Piscina({
    filename: fileURLToPath(workerFile('indicators.worker')),
    minThreads: Math.min(threads, ins.length),
    maxThreads: Math.min(threads, ins.length),
    workerData: { module },
  });
  try {
    const settled = await Promise.allSettled(ins.map((file, i) => pool.run({ in: file, out: outs[i] }) as Promise<TaskResult>));
    const files: IndicatorsFileResult[] = [];
    for (let i = 0; i < settled.length; i++) {
      const s = settled[i];
      if (s.status === 'rejected') {
        throw new ClientMt5Error('WORKER_CRASHED', `indicators worker failed on ${inputs[i]}: ${(s.reason as Error)?.message ?? String(s.reason)}`, { cause: s.reason });
      }
      if (!s.value.ok) throw fromWire(s.value.error);
      const { rows, priceSource, shadowedColumns } = s.value;
      files.push({ in: inputs[i], out: outputs[i], rows, priceSource, shadowedColumns });
    }
    return { files };
  } finally {
    await pool.destroy();
  }
}
