/**
 * f64 constants of the per-tick paths live in static memory and are read with a load, not written
 * as immediates. V8 (TurboFan, Node 20) builds each f64 or v128 immediate in a general register
 * and moves it across (movabs + vmovq, twice plus vpinsrq for a v128) at every use, since it
 * rematerializes constants rather than keep them in registers; a load from a constant address
 * instead folds into the arithmetic instruction as a memory operand. Inside processBatch on
 * bench/indicators.bench.ts's stream (scratch builds, interleaved runs): 35.0 → 33.3 ns a tick for
 * the indicators' dozen constants, then → 32.4 for validation's. Binaryen does not fold the loads back into immediates,
 * since memory is writable.
 *
 * Declare one with `const NAME: usize = memory.data<f64>([value])` next to where it is used, and
 * read it with f64At(NAME).
 */

// @ts-ignore: decorator
@inline export function f64At(at: usize): f64 {
  return load<f64>(at);
}

// @ts-ignore: decorator
@inline export function v128At(at: usize): v128 {
  return v128.load(at);
}
