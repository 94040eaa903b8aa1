/**
 * JSON answers of the read routes, written straight on the Node response. `res.json()` also computes
 * a SHA-1 ETag of every body and checks request freshness; recommendation answers are never the same
 * twice (each carries a new `recommendationId`), so that work cannot pay off on the read routes. Same
 * status, body and Content-Type as `res.json()`, with the API's security headers.
 */
import type { ServerResponse } from 'http';
import { API_HEADER_FIELDS } from './security';

/**
 * Every header of an answer as writeHead's flat [name, value, ...] list: the security headers,
 * Content-Type, and Content-Length last (set per answer). One list serves every answer: writeHead
 * turns it into the header text before it returns, sparing six setHeader calls per answer.
 */
const FIELDS: string[] = [...API_HEADER_FIELDS, 'Content-Type', 'application/json; charset=utf-8', 'Content-Length', '0'];
const LENGTH_AT = FIELDS.length - 1;

/**
 * Sends `body`, serialized JSON (UTF-8 bytes or a string), with status 200. For routes whose request
 * context left the security headers to the answer (BeginRequest's `headersAtSend`); a header set on
 * `res` before (draining's `Connection: close`) is kept, Node merges both.
 */
export function sendJson(res: ServerResponse, body: Buffer | string): void {
  FIELDS[LENGTH_AT] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.length);
  res.writeHead(200, FIELDS);
  res.end(body);
}
