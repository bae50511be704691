import js from '@eslint/js';
import tseslint from 'typescript-eslint';

// I/O modules that must never be imported by pure domain code (src/domain/**).
const ioModules = [
  'fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http',
  'https', 'node:https', 'http2', 'node:http2', 'dgram', 'node:dgram', 'child_process',
  'node:child_process', 'tls', 'node:tls', 'dns', 'node:dns', 'kafkajs', 'ioredis', 'openai',
  'undici', '@kafkajs/confluent-schema-registry', 'pino', 'prom-client',
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '.local/**', 'dist/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['**/src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ioModules.map((name) => ({ name, message: 'src/domain is pure logic: no I/O imports.' })),
        patterns: [{ group: ['@aws-sdk/*', '**/adapters/**'], message: 'src/domain is pure logic: no I/O imports.' }],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.cjs', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      parserOptions: { projectService: false },
      globals: { process: 'readonly', console: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', URL: 'readonly' },
    },
  },
);
