/** A small, stable string hash (hash buckets, lock keys, recommendation ids). */

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** 32-bit FNV-1a of the UTF-8 bytes of `s`, as an unsigned integer. Stable across processes and hosts. */
export function fnv1a32(s: string): number {
  let hash = FNV_OFFSET_BASIS;
  // ASCII ids (the common case, hashed on every request) are their own UTF-8 bytes: no buffer needed.
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) return fnv1a32Bytes(Buffer.from(s, 'utf8'));
    hash ^= c;
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

function fnv1a32Bytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < bytes.length; i++) {
    hash ^= bytes[i];
    hash = Math.imul(hash, FNV_PRIME);
  }
  return hash >>> 0;
}

/** The 16-bit tag recommendation ids carry for an experiment's name (0: no experiment). */
export function experimentTag(name: string | null): number {
  return name ? fnv1a32(name) & 0xffff : 0;
}
