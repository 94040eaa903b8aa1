#!/usr/bin/env node
'use strict';
// Thin launcher: the CLI is compiled to dist/ by `npm run build`.
const path = require('path');
const entry = path.join(__dirname, '..', 'dist', 'src', 'main', 'cli.js');
try {
  require.resolve(entry);
} catch {
  process.stderr.write('recs: dist/ is missing. Run `npm run build` first.\n');
  process.exit(1);
}
require(entry)
  .main(process.argv)
  .catch((err) => {
    process.stderr.write(`recs: ${err && err.message ? err.message : err}\n`);
    process.exit(1);
  });
