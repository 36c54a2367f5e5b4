// pm2 process file: `pm2 start ecosystem.config.js` runs the bridge with client-mt5.yaml (copy it
// from client-mt5.example.yaml). On `pm2 stop`/`pm2 reload` pm2 sends SIGINT; the bridge stops
// ingest, drains its rings, waits for the backend's acks and ends its workers within kill_timeout.
//
// This package is ESM, so this file is too: pm2 loads it with require(), which reads an ES module's
// named exports on Node >= 20.19 — hence `export const apps` rather than `export default`.
export const apps = [
  {
    name: 'client-mt5',
    script: './bin/client-mt5.js',
    args: 'start --config client-mt5.yaml',
    interpreter: 'node',
    // The main thread's young generation capped at 1 MB a semi-space (V8 grows it to 16 under
    // load; only a start-up flag can cap it, workers are capped from inside): ~6-7 MB less RSS at
    // 1M ticks/s in bench:e2e, and nothing measurable on speed (main allocates little per tick).
    node_args: ['--max-semi-space-size=1'],
    // One process per terminal: its threads are the workers (the `workers` setting), not pm2 instances.
    exec_mode: 'fork',
    instances: 1,
    autorestart: true,
    max_restarts: 50,
    restart_delay: 1000,
    kill_timeout: 15000,
    env: {
      NODE_ENV: 'production',
      CLIENT_MT5_LOG_FORMAT: 'json',
    },
  },
];
