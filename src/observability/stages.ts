/**
 * Stage marks for instrumentation (bench/train.ts): the trainer announces where it is; nothing
 * listens in production. Marks are cheap and never change what is computed.
 */
let listener: ((stage: string) => void) | undefined;

/** Installs (or with undefined removes) the one listener; returns the previous one. */
export function onStage(fn: ((stage: string) => void) | undefined): ((stage: string) => void) | undefined {
  const prev = listener;
  listener = fn;
  return prev;
}

export function markStage(stage: string): void {
  listener?.(stage);
}
