/**
 * A backend for tests that speaks docs/protocol.md section 2's trading half with `ws`: sends
 * TradingCommands, records ExecutionReports (dropping duplicates by report_sequence) and acks them
 * (unless told not to), records AccountProfiles and ClientPriceStreams. Ticks are acked too.
 */
import { WebSocketServer, type WebSocket } from 'ws';
import { clientmt5 } from '../../src/gen/clientmt5.js';
import type { TradingCommandData } from '../../src/shared/trading.js';

export class TradingBackend {
  /** Every report frame received, duplicates included. */
  readonly frames: clientmt5.v1.IExecutionReport[] = [];
  /** Reports processed once each (by report_sequence). */
  readonly reports: clientmt5.v1.IExecutionReport[] = [];
  readonly profiles: clientmt5.v1.IAccountProfile[] = [];
  readonly prices: clientmt5.v1.IClientPriceStream[] = [];
  ackReports = true;
  connections = 0;
  private lastReport = 0;
  private lastBatch = 0;
  private server!: WebSocketServer;
  private socket: WebSocket | null = null;
  port = 0;

  async start(port = 0): Promise<number> {
    this.server = new WebSocketServer({ host: '127.0.0.1', port, handleProtocols: (offered: Set<string>) => (offered.has('clientmt5.v1.row') ? 'clientmt5.v1.row' : false) });
    this.server.on('connection', (ws) => {
      this.connections++;
      this.socket = ws;
      ws.on('message', (data: Buffer) => this.onFrame(ws, data));
    });
    await new Promise((resolve) => this.server.once('listening', resolve));
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/api/v1/ws/mt5`;
  }

  get connected(): boolean {
    return this.socket !== null && this.socket.readyState === 1;
  }

  command(c: Partial<TradingCommandData> & { command_id: string }): void {
    this.socket!.send(clientmt5.v1.Envelope.encode({ protocol_version: 1, trading_command: c }).finish());
  }

  /** Closes the client's connection (it reconnects). */
  dropClient(): void {
    this.socket?.terminate();
    this.socket = null;
  }

  async stop(): Promise<void> {
    for (const c of this.server.clients) c.terminate();
    await new Promise((resolve) => this.server.close(resolve));
  }

  statuses(commandId: string): number[] {
    return this.reports.filter((r) => r.command_id === commandId).map((r) => r.status ?? 0);
  }

  private onFrame(ws: WebSocket, data: Buffer): void {
    const env = clientmt5.v1.Envelope.decode(data);
    if (env.execution_report) {
      const r = env.execution_report;
      this.frames.push(r);
      const seq = Number(r.report_sequence ?? 0);
      if (seq > this.lastReport) {
        this.lastReport = seq;
        this.reports.push(r);
      }
      if (this.ackReports) this.ack(ws);
    } else if (env.account_profile) {
      this.profiles.push(env.account_profile);
    } else if (env.client_prices) {
      this.prices.push(env.client_prices);
    } else if (env.market_data) {
      this.lastBatch = Math.max(this.lastBatch, Number(env.market_data.batch_sequence ?? 0));
      this.ack(ws);
    }
  }

  private ack(ws: WebSocket): void {
    ws.send(clientmt5.v1.Envelope.encode({
      protocol_version: 1, ack: { batch_sequence: this.lastBatch, report_sequence: this.ackReports ? this.lastReport : 0 },
    }).finish());
  }
}
