// Lint rules: typescript-eslint's strict type-checked set on every TypeScript file (type
// information from the tsconfig that includes the file); plain .js files get no type-aware rules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', '.scratch/'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Numbers in template strings are plain decimal text: `line ${n}` is what we mean.
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
    },
  },
  {
    // The Store interface is asynchronous so that another database can implement it; the SQLite
    // implementation is synchronous underneath. Its methods stay `async` so that what they throw
    // reaches callers as a rejected promise, as it would from an asynchronous driver.
    files: ['src/store/sqlite.ts', 'src/store/sqliteCitizens.ts'],
    rules: { '@typescript-eslint/require-await': 'off' },
  },
  { files: ['**/*.js'], extends: [tseslint.configs.disableTypeChecked] },
);
