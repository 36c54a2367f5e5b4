// The engine's exports. Loaded by src/workers/engine.ts only; see that module for the JS API.

export {
  configureSymbol, isConfigured, resetSymbol, resetSeriesOf, symbolQuality,
  processBatch, processTick, pushPrice, pushPrices,
} from './batch';
export {
  reasonBit, reasonName, REASON_COUNT, REASON_UNCONFIGURED, COUNTER_SLOTS, SPIKE_CONFIRM_TICKS,
} from './validation';
export { indicatorName } from './indicators';
export {
  BATCH_CAPACITY, INDICATOR_COUNT, staticEnd,
  inTimeMscPtr, inBidPtr, inAskPtr, inLastPtr, inVolumePtr, inVolumeRealPtr, inCapturedMsPtr, inPricePtr,
  inSymbolPtr, inFlagsPtr, outMaskPtr, outQualityPtr, outSeqPtr, outIndPtr, outIndStride,
} from './layout';
export { MAX_SYMBOLS, countersPtr } from './symbols';
export { RECOMPUTE_EVERY } from './sma-bollinger';
