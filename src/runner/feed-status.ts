/** What a feed reports about its backend (/healthz, /status, metrics). */
import type { Revision } from '../backends/contract.ts';

export interface FeedStatus {
  readonly backend: string;
  readonly kind: string;
  readonly revision?: Revision;
  readonly connected: boolean;
  readonly lastSyncAt?: number;
  readonly lastError?: string;
  readonly keys: number;
  /** Epoch ms of the last watch event of any kind. */
  readonly lastEventAt?: number;
  /** Watch streams re-established after the first one (reconnects that resumed). */
  readonly resumes?: number;
  /** Full re-reads the backend asked for (history lost, e.g. compaction). */
  readonly resyncs?: number;
}
