#!/usr/bin/env node
// `npm run build` step: tsc emits JavaScript only, so the files the code reads at run time (the
// cache's Lua scripts) are copied next to their compiled modules under dist/.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const ASSETS = ['.lua'];

function copyTree(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const from = path.join(dir, entry.name);
    if (entry.isDirectory()) copyTree(from);
    else if (ASSETS.includes(path.extname(entry.name))) {
      const to = path.join(root, 'dist', path.relative(root, from));
      fs.mkdirSync(path.dirname(to), { recursive: true });
      fs.copyFileSync(from, to);
    }
  }
}

copyTree(path.join(root, 'src'));
