/** Source names carried on every recommended item, and their one-byte codes in packed lists. */
export const SOURCES = [
  'itemcf',
  'embedding',
  'session',
  'refind',
  'popular',
  'trending',
  'best_converting',
  'new_arrivals',
  'category_popular',
  'blend',
] as const;
export type PackedSource = (typeof SOURCES)[number];

export function sourceCode(source: PackedSource): number {
  const code = SOURCES.indexOf(source);
  if (code < 0) throw new Error(`unknown source ${source}`);
  return code;
}

export function sourceName(code: number): PackedSource {
  const name = SOURCES[code];
  if (!name) throw new Error(`unknown source code ${code}`);
  return name;
}

export function isPackedSource(name: string): name is PackedSource {
  return (SOURCES as readonly string[]).includes(name);
}
