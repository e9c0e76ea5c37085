// Lint: typescript-eslint's recommended rules, plus the habits of docs/style.md
// (no `x || default`, no floating promises in the core).
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/**', 'dist/**', 'web/dist/**', 'demo/**', 'test/corpus/generated/**', 'scratch-*', 'scratch-*/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-eval': 'error',
      'no-new-func': 'error',
      'no-implied-eval': 'error',
      'prefer-const': 'error',
    },
  },
);
