/**
 * The recommendation answer as JSON text, written field by field. Node 20's JSON.stringify takes
 * about twice as long on this shape (a generic walk over every key); here only strings go through
 * JSON.stringify (for escaping), numbers and booleans are written as JSON.stringify writes them.
 * The output is byte-for-byte JSON.stringify(rec) (json.test.ts checks it on random answers).
 */
import type { Recommendation } from './service';

const str = JSON.stringify as (s: string) => string;
const num = (x: number) => (Number.isFinite(x) ? String(x) : 'null');

export function recommendationJson(rec: Recommendation): string {
  let out =
    `{"userId":${str(rec.userId)},"segment":${str(rec.segment)},"modelVersion":${str(rec.modelVersion)}` +
    `,"recommendationId":${str(rec.recommendationId)},"variant":${str(rec.variant)},"degraded":${rec.degraded ? 'true' : 'false'},"items":[`;
  const items = rec.items;
  for (let k = 0; k < items.length; k++) {
    const it = items[k];
    out += `${k ? ',' : ''}{"itemId":${str(it.itemId)},"score":${num(it.score)},"source":${str(it.source)}}`;
  }
  return `${out}]}`;
}
