import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { parse, parseAllDocuments } from 'yaml';

// Loading of the deployment files and of the configuration names the code reads, for
// deployment-files.test.ts. Everything here is read from disk; nothing is started.

export const ROOT = join(import.meta.dirname, '..', '..');
export const K8S = join(ROOT, 'infra', 'k8s');

export type Doc = Record<string, unknown>;

export const isRecord = (value: unknown): value is Doc => typeof value === 'object' && value !== null && !Array.isArray(value);
export const record = (value: unknown, what: string): Doc => {
  if (!isRecord(value)) throw new Error(`${what}: expected a mapping`);
  return value;
};
export const list = (value: unknown, what: string): unknown[] => {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new Error(`${what}: expected a list`);
  return value;
};
export const text = (value: unknown, what: string): string => {
  if (typeof value !== 'string') throw new Error(`${what}: expected a string`);
  return value;
};

export const readText = (relative: string): string => readFileSync(join(ROOT, relative), 'utf8');

/** Compose files use `<<` merge keys (YAML 1.1), as docker compose does. */
export const readCompose = (): Doc => record(parse(readText('docker-compose.yml'), { merge: true }), 'docker-compose.yml');

/** Every Kubernetes object the kustomization lists, with the file it came from. */
export function readKustomizedObjects(): { file: string; object: Doc }[] {
  const kustomization = record(parse(readFileSync(join(K8S, 'kustomization.yaml'), 'utf8')), 'kustomization.yaml');
  const objects: { file: string; object: Doc }[] = [];
  for (const resource of list(kustomization['resources'], 'resources')) {
    const file = text(resource, 'resource');
    for (const doc of parseAllDocuments(readFileSync(join(K8S, file), 'utf8'))) {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors.map((e) => e.message).join('; ')}`);
      const value: unknown = doc.toJS();
      if (value !== null) objects.push({ file, object: record(value, file) });
    }
  }
  return objects;
}

/** services/<name> folders that have an entry point. */
export function servicesWithMain(): string[] {
  return readdirSync(join(ROOT, 'services'))
    .filter((name) => existsSync(join(ROOT, 'services', name, 'src', 'main.ts')))
    .sort();
}

function sourceFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === 'node_modules' ? [] : sourceFiles(path);
    return entry.endsWith('.ts') && !entry.endsWith('.test.ts') ? [path] : [];
  });
}

/** A configuration variable and whether the code wraps it as a secret (`secret()` / `optionalSecret()`). */
export interface ConfigVariable {
  readonly name: string;
  readonly secret: boolean;
}

function propertyName(name: ts.PropertyName, file: string): string {
  if (ts.isIdentifier(name) || ts.isStringLiteral(name)) return name.text;
  throw new Error(`${file}: a computed configuration key cannot be checked statically`);
}

function isSecretInitializer(node: ts.Expression): boolean {
  return ts.isCallExpression(node) && ts.isIdentifier(node.expression) && (node.expression.text === 'secret' || node.expression.text === 'optionalSecret');
}

function shapeVariables(shape: ts.ObjectLiteralExpression, file: string): ConfigVariable[] {
  return shape.properties.map((property) => {
    if (!ts.isPropertyAssignment(property)) throw new Error(`${file}: configuration shapes must list their keys (no spreads or methods)`);
    return { name: propertyName(property.name, file), secret: isSecretInitializer(property.initializer) };
  });
}

/**
 * The configuration keys a source file declares, read from its syntax tree: the object literal
 * given to `defineConfigSchema(...)` (a stage on top of the kit), the kit's `commonConfigShape`, and
 * the `z.object(...)` of a variable named `envSchema` (the topology and schemas command lines).
 */
const parsedFiles = new Map<string, ConfigVariable[]>();

export function configVariablesOf(path: string): ConfigVariable[] {
  const cached = parsedFiles.get(path);
  if (cached !== undefined) return cached;
  const found = readConfigVariables(path);
  parsedFiles.set(path, found);
  return found;
}

function readConfigVariables(path: string): ConfigVariable[] {
  const source = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.ES2022, true);
  const found: ConfigVariable[] = [];
  const visit = (node: ts.Node, inEnvSchema: boolean): void => {
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const isDefine = ts.isIdentifier(callee) && callee.text === 'defineConfigSchema';
      const isZObject = inEnvSchema && ts.isPropertyAccessExpression(callee) && callee.name.text === 'object' && ts.isIdentifier(callee.expression) && callee.expression.text === 'z';
      const [shape] = node.arguments;
      if ((isDefine || isZObject) && shape !== undefined && ts.isObjectLiteralExpression(shape)) found.push(...shapeVariables(shape, path));
    }
    if (ts.isVariableDeclaration(node) && ts.isIdentifier(node.name) && node.initializer !== undefined) {
      if (node.name.text === 'commonConfigShape' && ts.isObjectLiteralExpression(node.initializer)) found.push(...shapeVariables(node.initializer, path));
      if (node.name.text === 'envSchema') {
        visit(node.initializer, true);
        return;
      }
    }
    ts.forEachChild(node, (child) => visit(child, inEnvSchema));
  };
  visit(source, false);
  return found;
}

/** The variables a service's own sources declare (empty while it has no config schema yet). */
export function serviceConfigVariables(service: string): ConfigVariable[] {
  return sourceFiles(join(ROOT, 'services', service, 'src')).flatMap((file) => configVariablesOf(file));
}

export const kitConfigVariables = (): ConfigVariable[] => configVariablesOf(join(ROOT, 'services', 'kit', 'src', 'config.ts'));

/** Environment entries of a compose service or a container: names only, `KEY=value` lists too. */
export function envNames(environment: unknown, what: string): string[] {
  if (environment === undefined) return [];
  if (Array.isArray(environment)) return environment.map((entry) => text(entry, what).split('=')[0] ?? '');
  return Object.keys(record(environment, what));
}

/** `ENV` names of the Dockerfile's final stage, and its `FROM` images. */
export function dockerfileFacts(dockerfile: string) {
  const lines = dockerfile.replace(/\\\r?\n/g, ' ').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const args = new Map<string, string>();
  const stages: { image: string; name: string | undefined; instructions: string[] }[] = [];
  for (const line of lines) {
    const [instruction = '', ...rest] = line.split(/\s+/);
    const upper = instruction.toUpperCase();
    if (upper === 'ARG' && stages.length === 0) {
      const [name = '', value = ''] = rest.join(' ').split('=');
      args.set(name, value);
    } else if (upper === 'FROM') {
      const image = (rest[0] ?? '').replace(/\$\{(\w+)\}/g, (_m, name: string) => args.get(name) ?? '');
      const asIndex = rest.findIndex((word) => word.toUpperCase() === 'AS');
      stages.push({ image, name: asIndex >= 0 ? rest[asIndex + 1] : undefined, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(line);
    }
  }
  const final = stages.at(-1);
  if (final === undefined) throw new Error('Dockerfile: no FROM');
  const envNamesOfFinal = final.instructions
    .filter((line) => /^ENV\s/i.test(line))
    .flatMap((line) => [...line.slice(4).matchAll(/(?:^|\s)([A-Za-z_][A-Za-z0-9_]*)=/g)].map((m) => m[1] ?? ''));
  return { stages, final, envNames: envNamesOfFinal };
}
