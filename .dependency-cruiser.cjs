// The house rules for imports (`npm run lint`): no cycles anywhere, and every folder imports only
// the layers below it. docs/architecture.md draws the same layers.
'use strict';

/** src/ kernel layers, lowest first: each may import only the ones before it (and itself). */
const KERNEL = [
  ['domain', 'errors', 'util'],
  ['config'],
  ['contracts', 'observability'],
  ['storage'],
  ['live', 'http', 'ingest'],
  ['sample', 'simulate'],
];
const FEATURES = ['recommendations', 'events', 'catalog', 'feedback', 'experiments', 'growth', 'debug', 'console', 'health'];
/** training/ layers, lowest first. */
const TRAINING = [['parallel'], ['data'], ['models'], ['ranking'], ['evaluation'], ['tuning'], ['recipe.ts'], ['job'], ['worker.ts']];

const anyOf = (prefix, names) => `^${prefix}(${names.map((n) => n.replace('.', '\\.')).join('|')})(/|$)`;

function layerRules(prefix, layers, label) {
  return layers.slice(0, -1).map((names, i) => ({
    name: `${label}-${names.join('-').replace('.ts', '')}-imports-only-lower-layers`,
    comment: `${prefix}{${names.join(',')}} may not import the layers above it`,
    severity: 'error',
    from: { path: anyOf(prefix, names) },
    to: { path: anyOf(prefix, layers.slice(i + 1).flat()) },
  }));
}

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycle anywhere.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'kernel-knows-no-feature',
      comment: 'The kernel (HTTP plumbing, storage, contracts, ...) imports no feature, no entry module and no trainer code.',
      severity: 'error',
      from: { path: anyOf('src/', KERNEL.flat()) },
      to: { path: [anyOf('src/', FEATURES), '^src/main/', '^training/'] },
    },
    {
      name: 'features-not-entry',
      comment: 'Features are wired by src/main/; they never import it, nor the trainer.',
      severity: 'error',
      from: { path: anyOf('src/', FEATURES) },
      to: { path: ['^src/main/', '^training/'] },
    },
    {
      name: 'training-uses-kernel-only',
      comment: 'The trainer uses the kernel (contracts, config, storage ports...), never features, HTTP or the entry layer.',
      severity: 'error',
      from: { path: '^training/' },
      to: { path: [anyOf('src/', FEATURES), '^src/main/', '^src/http/', '^src/live/'] },
    },
    ...layerRules('src/', KERNEL, 'kernel'),
    ...layerRules('training/', TRAINING, 'training'),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(dist|node_modules)/' },
    // Type-only imports count: the layers hold for types too.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
