import type { ClientMessage } from './client-message.js';
import type { ServerMessage } from './server-message.js';

/** The text frame of a message. Values are typed, so the result always decodes. */
export function encodeMessage(message: ClientMessage | ServerMessage): string {
  return JSON.stringify(message);
}
