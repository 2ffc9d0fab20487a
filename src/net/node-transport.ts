/** The client's transport in Node: a `ws` WebSocket with binary frames (the browser wraps its own WebSocket). */
import { WebSocket } from 'ws';
import type { Connect } from './client.js';

/**
 * Opens a WebSocket to `url` for `runClient`. Frames arrive as Uint8Array; a connection that fails to open
 * reports `close` (1006) like one that drops, so the client's backoff handles both.
 * @example await runClient({ url, token, platform: 'node', reveal: false, connect: nodeConnect, train });
 */
export const nodeConnect: Connect = (url, handlers) => {
  // A zero masking key makes ws skip masking (and the server unmasking) several MB per update. Masking guards
  // proxies against bytes chosen by scripts of a web page (RFC 6455 §10.3); a Node client sends its own data.
  const ws = new WebSocket(url, { perMessageDeflate: false, maxPayload: 2 ** 30, generateMask: (mask) => void mask.fill(0) });
  let closed = false;
  const close = (code: number, reason: string) => {
    if (closed) return;
    closed = true;
    handlers.close(code, reason);
  };
  ws.on('open', () => handlers.open());
  ws.on('message', (data) => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data;
    handlers.message(bytes);
  });
  ws.on('close', (code, reason) => close(code, reason.toString()));
  ws.on('error', (e) => close(1006, e.message));
  return {
    send: (frame) => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true });
    },
    close: () => {
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else ws.close(1000);
    },
  };
};
