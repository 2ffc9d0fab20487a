/**
 * Frames of the wire protocol: msgpack encoding, size-limited decoding to `unknown`, and narrowing with a schema
 * into a typed message or a typed error. Platform-neutral (server, Node client, browser, dashboard).
 */
import { Decoder, encode } from '@msgpack/msgpack';
import type { z } from 'zod';
import type { ModelSpec } from '../types.js';
import { paramShapes } from '../model/spec.js';
import {
  limits,
  sizeOf,
  type NetErrorCode,
  type TrainingConfig,
  type ClientMessage,
  type ServerMessage,
  type DashboardMessage,
} from './protocol.js';

// Float arrays go on the wire as their raw bytes; every platform fedleak runs on is little-endian.
if (new Uint8Array(new Uint32Array([1]).buffer)[0] !== 1) {
  throw new Error('fedleak/net: big-endian platforms are not supported (float arrays travel as little-endian bytes)');
}

/**
 * A decode that failed: the code for the error reply and a message that names the bad field.
 * @example const r = readFrame(bytes, schema, max); if (!r.ok) send(errorReply(r.code, r.message));
 */
export interface FrameError {
  ok: false;
  code: NetErrorCode;
  message: string;
  /** The message's `type` when it could be read (for the reply's `ref`). */
  ref: string | null;
}

/** A decoded, schema-checked message. */
export type FrameResult<T> = { ok: true; message: T } | FrameError;

/**
 * Encodes a message as one msgpack frame. Typed arrays become msgpack binary (their raw bytes); undefined fields
 * are left out.
 * @example socket.send(encodeMessage({ type: 'ack', round: 0, of: 'update' }));
 */
export function encodeMessage(message: ClientMessage | ServerMessage | DashboardMessage): Uint8Array {
  return encodeValue(message);
}

/**
 * Encodes any value as one msgpack frame (files, tests, fuzzers); protocol messages go through `encodeMessage`.
 * @example writeFileSync(path, encodeValue({ arrays: params }));
 */
export function encodeValue(value: unknown): Uint8Array {
  return encode(value, { ignoreUndefined: true, initialBufferSize: 4096 });
}

/**
 * Decodes one frame to `unknown` (never throws): TOO_LARGE above `maxBytes`, BAD_ENCODING when it is not exactly
 * one msgpack value. Strings, maps and arrays inside are capped so a small frame cannot expand into a huge object.
 * @example const r = decodeFrame(bytes, 16384); if (r.ok) parse(r.message);
 */
export function decodeFrame(bytes: Uint8Array, maxBytes: number): FrameResult<unknown> {
  if (bytes.byteLength > maxBytes) {
    return { ok: false, code: 'TOO_LARGE', message: `frame of ${bytes.byteLength} bytes exceeds the limit of ${maxBytes}`, ref: null };
  }
  const decoder = new Decoder({
    maxStrLength: 64 * 1024,
    maxBinLength: maxBytes,
    maxArrayLength: 100_000,
    maxMapLength: 64,
    maxExtLength: 1024,
  });
  try {
    return { ok: true, message: decoder.decode(bytes) };
  } catch (e) {
    return { ok: false, code: 'BAD_ENCODING', message: `not one msgpack value: ${String((e as Error).message).slice(0, 200)}`, ref: null };
  }
}

/**
 * Narrows a decoded value with a message schema; BAD_MESSAGE names the first bad field and what was expected.
 * @example const r = parseMessage(clientMessageSchema, value);
 */
export function parseMessage<S extends z.ZodType>(schema: S, value: unknown): FrameResult<z.output<S>> {
  let r: z.ZodSafeParseResult<z.output<S>>;
  try {
    r = schema.safeParse(value) as z.ZodSafeParseResult<z.output<S>>;
  } catch (e) {
    // A transform that throws is a bug of ours, not of the sender: report it without crashing the receiver.
    return { ok: false, code: 'INTERNAL', message: `decoding failed: ${String((e as Error).message).slice(0, 200)}`, ref: null };
  }
  if (r.success) return { ok: true, message: r.data };
  const issue = r.error.issues[0];
  const type = typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string'
    ? String((value as { type: string }).type).slice(0, 32)
    : null;
  const path = issue.path.length ? issue.path.map(String).join('.') : '(message)';
  return { ok: false, code: 'BAD_MESSAGE', message: `${path}: ${issue.message}`.slice(0, 500), ref: type };
}

/**
 * Decodes and narrows one frame: `decodeFrame` then `parseMessage`.
 * @example const r = readFrame(bytes, serverMessageSchema, limit); if (r.ok) handle(r.message);
 */
export function readFrame<S extends z.ZodType>(bytes: Uint8Array, schema: S, maxBytes: number): FrameResult<z.output<S>> {
  const d = decodeFrame(bytes, maxBytes);
  return d.ok ? parseMessage(schema, d.message) : d;
}

/**
 * Largest frames of a deployment: an update (every parameter as float32, conv kernels included, plus room for names
 * and headers) and a
 * reveal (up to `limits.revealExamples` examples); `maxBytes` is the larger, the cap for a registered client.
 * @example const { maxBytes } = frameLimits(spec, config); new WebSocketServer({ maxPayload: maxBytes + 2 ** 20 });
 */
export function frameLimits(spec: ModelSpec, config: Pick<TrainingConfig, 'inputShape'>): {
  updateBytes: number;
  revealBytes: number;
  maxBytes: number;
} {
  // every array of the model, a CNN's conv kernels included (dense0 then reads the conv stack's output, not the image)
  const shapes = paramShapes(spec);
  const values = shapes.reduce((sum, p) => sum + sizeOf(p.shape), 0);
  const updateBytes = 4 * values + 512 * shapes.length + 4096;
  const revealBytes = Math.min(64 * 2 ** 20, limits.revealExamples * 4 * (sizeOf(config.inputShape) + 1) + 4096);
  return { updateBytes, revealBytes, maxBytes: Math.max(updateBytes, revealBytes) };
}
