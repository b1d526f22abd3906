// Heartbeats on the wire (paper §4.8.3; liveness.ts decides what they mean). `id` is 0: no reply is
// matched to one. `hidden`: the sender's tab is hidden, so its peers allow it a longer silence.

import type { Validators } from './wire';

export type LivenessMessage = { type: 'ping'; id: number; hidden?: boolean } | { type: 'pong'; id: number; hidden?: boolean };

export const livenessValidators: Validators<LivenessMessage> = {
  ping: (m) => m.hidden === undefined || typeof m.hidden === 'boolean',
  pong: (m) => m.hidden === undefined || typeof m.hidden === 'boolean',
};
