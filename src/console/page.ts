/** Placeholder replaced by the console page (see src/console/README in the next commit). */
export const CONSOLE_HTML = '<!doctype html><title>recs console</title><p>console</p>';
