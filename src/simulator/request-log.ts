// The log of API requests the simulator served (GET /_sim/requests, RunningSimulator.requests()), bounded.

export interface RequestLogEntry {
  seq: number;
  at: string;
  method: string;
  path: string;
  /** The query string without any `api_secret`. */
  query: string;
  /** 0 when the connection was dropped on purpose. */
  status: number;
  durationMs: number;
  /** The API key the request claimed (Basic auth user or `api_key`); never the secret. */
  apiKey: string | undefined;
  /** What the simulator noticed but accepted, e.g. a deprecated parameter. */
  notes?: string[];
}

const MAX_LOG = 50_000;

/** Appends `entry`, dropping the oldest entries beyond the bound. */
export function appendRequestLog(log: RequestLogEntry[], entry: RequestLogEntry): void {
  log.push(entry);
  if (log.length > MAX_LOG) log.splice(0, log.length - MAX_LOG);
}
