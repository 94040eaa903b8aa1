/**
 * JSON answers written straight on the Node response. `res.json()` also computes a SHA-1 ETag of
 * every body and checks request freshness; recommendation answers are never the same twice (each
 * carries a new `recommendationId`), so that work cannot pay off on the read routes. Same status,
 * body and Content-Type as `res.json()`.
 */
import type { ServerResponse } from 'http';

/**
 * Sends `text`, already serialized JSON. Content-Length is Node's: `end(text)` before any header went
 * out measures the body itself (counting it here too would scan the text twice).
 */
export function sendJsonText(res: ServerResponse, text: string): void {
  res.statusCode = 200;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(text);
}
