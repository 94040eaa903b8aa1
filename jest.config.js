/** Unit tests live beside the code (*.test.ts); end-to-end and contract suites under tests/. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/src', '<rootDir>/training', '<rootDir>/tests'],
  testMatch: ['**/*.test.ts'],
  // Transpile only (type checking is `npm run build` / `npm run typecheck`): keeps the suite fast.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
  testTimeout: 60000,
  maxWorkers: 2,
};
