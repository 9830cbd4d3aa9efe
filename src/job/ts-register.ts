/**
 * TypeScript job files without a build step:
 *   1. Nothing happens until a `.ts/.cts/.mts` file is loaded (the hook is installed lazily).
 *   2. The `typescript` package is resolved from the user's project first (the jobs folder,
 *      then the working directory), then from resque-ts' own dependencies.
 *   3. `require.extensions` gets a handler for each of the three extensions that no loader
 *      (ts-node, tsx…, registered by the app module) already handles; it transpiles each file
 *      to CommonJS with `transpileModule` (no type checking, like ts-node's transpile-only).
 *      `.mts` files are transpiled to CommonJS too: their imports work, top-level await does not.
 *   4. When `typescript` cannot be found, loading fails with TypeScriptMissingError naming the
 *      file and the two ways out.
 */
import { readFileSync } from 'node:fs';
import { ResqueError } from '../errors';

/** The part of the `typescript` package we use. */
export interface TsApi {
  transpileModule(
    input: string,
    options: { compilerOptions: Record<string, unknown>; fileName: string; reportDiagnostics: boolean },
  ): { outputText: string; diagnostics?: readonly TsDiagnostic[] };
  flattenDiagnosticMessageText(text: unknown, newLine: string): string;
  ModuleKind: { CommonJS: number };
  ScriptTarget: { ES2022: number };
}

interface TsDiagnostic {
  messageText: unknown;
  start?: number;
  file?: { getLineAndCharacterOfPosition(pos: number): { line: number; character: number } };
}

/** Finds the `typescript` entry file, or undefined. Injected by tests. */
export type TsResolver = (searchDirs: readonly string[]) => string | undefined;

export const TS_EXTENSIONS: readonly string[] = ['.ts', '.cts', '.mts'];

/** A TypeScript job was found but the `typescript` package was not. */
export class TypeScriptMissingError extends ResqueError {
  constructor(displayName: string) {
    super(
      `${displayName} is TypeScript: install the 'typescript' package (npm i -D typescript) or compile it to .js`,
    );
  }
}

let ts: TsApi | undefined;

export function isTypeScriptFile(file: string): boolean {
  return TS_EXTENSIONS.some((ext) => file.endsWith(ext));
}

/** The user's `typescript` first, then ours. */
export const defaultTsResolver: TsResolver = (searchDirs) => {
  for (const paths of [[...searchDirs], undefined]) {
    try {
      return paths ? require.resolve('typescript', { paths }) : require.resolve('typescript');
    } catch {
      // try the next place
    }
  }
  return undefined;
};

/**
 * Make `require()` understand TypeScript files. Idempotent; throws TypeScriptMissingError
 * (mentioning `displayName`) when no `typescript` package can be found.
 */
export function ensureTypeScriptSupport(
  displayName: string,
  searchDirs: readonly string[],
  resolve: TsResolver = defaultTsResolver,
): void {
  // Respect a loader the app already registered (ts-node, tsx, …): only fill the gaps.
  const missing = TS_EXTENSIONS.filter((ext) => !(ext in require.extensions));
  if (ts || missing.length === 0) return;
  const api = loadTypeScript(displayName, searchDirs, resolve);
  ts = api;
  for (const ext of missing) {
    require.extensions[ext] = (module, filename) => {
      const output = transpileToCommonJs(api, readFileSync(filename, 'utf8'), filename);
      (module as unknown as { _compile(code: string, file: string): void })._compile(output, filename);
    };
  }
}

/** The `typescript` module, or TypeScriptMissingError naming `displayName`. */
export function loadTypeScript(displayName: string, searchDirs: readonly string[], resolve: TsResolver): TsApi {
  const entry = resolve(searchDirs);
  if (!entry) throw new TypeScriptMissingError(displayName);
  const loaded: unknown = require(entry);
  if (!isTsApi(loaded)) throw new TypeScriptMissingError(displayName);
  return loaded;
}

/** TypeScript source → CommonJS JavaScript; syntax errors become a SyntaxError naming file:line. */
export function transpileToCommonJs(api: TsApi, source: string, fileName: string): string {
  const out = api.transpileModule(source, {
    compilerOptions: {
      module: api.ModuleKind.CommonJS,
      target: api.ScriptTarget.ES2022,
      esModuleInterop: true,
      sourceMap: false,
      inlineSourceMap: false,
    },
    fileName,
    reportDiagnostics: true,
  });
  const first = out.diagnostics?.[0];
  if (first) throw new SyntaxError(`${fileName}${where(first)}: ${api.flattenDiagnosticMessageText(first.messageText, '\n')}`);
  return out.outputText;
}

function where(d: TsDiagnostic): string {
  if (!d.file || d.start === undefined) return '';
  const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
  return `:${line + 1}:${character + 1}`;
}

function isTsApi(v: unknown): v is TsApi {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o['transpileModule'] === 'function' && typeof o['flattenDiagnosticMessageText'] === 'function';
}
