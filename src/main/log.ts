/**
 * Structured logs on stderr, one line each: JSON (`CLIENT_MT5_LOG_FORMAT=json`, for pm2 and log
 * shippers) or plain text. stdout is kept for status lines and summaries.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type Logger = (level: LogLevel, message: string, fields?: Record<string, unknown>) => void;

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export function createLogger(component: string, options: { json?: boolean; level?: LogLevel; quiet?: boolean } = {}): Logger {
  const json = options.json ?? process.env.CLIENT_MT5_LOG_FORMAT === 'json';
  const min = ORDER[options.level ?? (process.env.CLIENT_MT5_LOG_LEVEL as LogLevel | undefined) ?? 'info'] ?? 1;
  return (level, message, fields) => {
    if (options.quiet || ORDER[level] < min) return;
    const time = new Date().toISOString();
    if (json) {
      process.stderr.write(`${JSON.stringify({ time, level, component, message, ...fields })}\n`);
    } else {
      const extra = fields ? ` ${JSON.stringify(fields)}` : '';
      process.stderr.write(`${time} ${level.toUpperCase().padEnd(5)} [${component}] ${message}${extra}\n`);
    }
  };
}
