import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

/** A YAML file that does not parse cleanly (syntax error, duplicate key, warning). */
export class YamlDocumentError extends Error {
  readonly code = "invalid_yaml";
}

/** Every document of a YAML file as plain JS values; throws on any parse error or warning. */
export function readYamlDocuments(file: string): unknown[] {
  // An empty file gives an empty list (yaml's EmptyStream), not an error.
  const documents = parseAllDocuments(readFileSync(file, "utf8"), { prettyErrors: true });
  const values: unknown[] = [];
  for (const document of documents) {
    const problems = [...document.errors, ...document.warnings];
    if (problems.length > 0) {
      throw new YamlDocumentError(`${file}: ${problems.map((p) => p.message).join("; ")}`);
    }
    values.push(document.toJS());
  }
  return values;
}
