import { join } from "node:path";
import ts from "typescript";
import { KUBERNETES_KINDS, kindKey } from "./kubernetes-kinds.js";

export interface NamedManifest {
  /** Where the object came from, for messages (e.g. "deployment.yaml#0"). */
  readonly source: string;
  readonly object: unknown;
}

/**
 * Type-checks manifests against the Kubernetes API types with TypeScript's excess-property
 * check, which the JSON schemas lack: a misspelt or misplaced field (`readinesProbe`) is reported.
 * Returns one message per problem; empty when every field is known where it stands.
 */
export function manifestTypeProblems(
  manifests: readonly NamedManifest[],
  repoRoot: string,
): string[] {
  const file = join(repoRoot, "test", "deploy", "__manifest_types__.ts");
  const lines: string[] = [];
  const sources: string[] = [];
  manifests.forEach(({ source, object }, index) => {
    const schema = KUBERNETES_KINDS[kindKey(object) ?? ""];
    if (schema === undefined) throw new Error(`${source}: no schema for ${kindKey(object)}`);
    lines.push(`import type { ${schema.typeName} as T${index} } from "${schema.typeModule}";`);
    lines.push(`export const m${index} = ${JSON.stringify(object, null, 1)} satisfies T${index};`);
    sources.push(source);
  });
  const text = lines.join("\n");

  const options: ts.CompilerOptions = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    types: [],
  };
  const host = ts.createCompilerHost(options);
  const readSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, language, ...rest) =>
    name === file
      ? ts.createSourceFile(name, text, language)
      : readSourceFile(name, language, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const readFile = host.readFile.bind(host);
  host.readFile = (name) => (name === file ? text : readFile(name));

  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => {
    const message = ts.flattenDiagnosticMessageText(diagnostic.messageText, " ");
    if (diagnostic.file?.fileName !== file || diagnostic.start === undefined) return message;
    const before = text.slice(0, diagnostic.start);
    const manifest = (before.match(/export const m\d+ =/g)?.length ?? 1) - 1;
    return `${sources[manifest] ?? "?"}: ${message}`;
  });
}
