// Type-aware typescript-eslint over lib/ and the packages' sources (`npm run lint`).
// It lives in test/lint/ (the top level holds only what docs/DESIGN lays out) and is
// passed by path; file patterns are relative to the repository root, where the script runs.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config({
  files: ['lib/**/*.ts', 'packages/*/src/**/*.ts'],
  extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
  languageOptions: {
    parserOptions: { projectService: true, tsconfigRootDir: new URL('../..', import.meta.url).pathname },
  },
  rules: {
    // `async` on a function without await is kept on purpose: a validation error thrown
    // before the first await then reaches the caller as a rejection, never synchronously.
    '@typescript-eslint/require-await': 'off',
    // Indexed reads are marked `arr[i]!` throughout, as under noUncheckedIndexedAccess; with
    // it off in tsconfig the rule would call each mark unnecessary (and churn every such line).
    '@typescript-eslint/no-unnecessary-type-assertion': 'off',
  },
});
