/** One Dockerfile instruction after joining continuation lines. */
export interface DockerInstruction {
  /** Upper-case keyword: FROM, RUN, COPY, CMD... */
  readonly keyword: string;
  /** Everything after the keyword, continuation lines joined with a space. */
  readonly args: string;
  /** 1-based line where the instruction starts. */
  readonly line: number;
}

export interface DockerStage {
  /** Base image with global ARG defaults substituted. */
  readonly image: string;
  /** Name given with `AS`, or null. */
  readonly name: string | null;
  readonly instructions: readonly DockerInstruction[];
}

export interface ParsedDockerfile {
  /** ARG defaults declared before the first FROM. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly DockerStage[];
}

/** A Dockerfile this parser cannot read (no FROM, an instruction before FROM...). */
export class DockerfileParseError extends Error {
  readonly code = "invalid_dockerfile";
}

/** Splits a Dockerfile into instructions (`\` continuations, `#` comment lines skipped). */
export function readInstructions(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending: { parts: string[]; line: number } | null = null;
  text.split(/\r?\n/).forEach((raw, index) => {
    const trimmed = raw.trim();
    // Comment lines are dropped, also inside a continued instruction (as Docker does).
    if (trimmed.startsWith("#") || (trimmed === "" && pending === null)) return;
    const continues = trimmed.endsWith("\\");
    const part = continues ? trimmed.slice(0, -1).trim() : trimmed;
    pending ??= { parts: [], line: index + 1 };
    if (part !== "") pending.parts.push(part);
    if (continues) return;
    const joined = pending.parts.join(" ");
    const match = /^(\S+)\s*(.*)$/s.exec(joined);
    if (match?.[1] !== undefined) {
      instructions.push({
        keyword: match[1].toUpperCase(),
        args: match[2] ?? "",
        line: pending.line,
      });
    }
    pending = null;
  });
  return instructions;
}

/** Groups instructions into build stages and resolves global ARGs in FROM lines. */
export function parseDockerfile(text: string): ParsedDockerfile {
  const globalArgs = new Map<string, string>();
  const stages: { image: string; name: string | null; instructions: DockerInstruction[] }[] = [];
  for (const instruction of readInstructions(text)) {
    if (instruction.keyword === "FROM") {
      const words = instruction.args.split(/\s+/).filter((word) => !word.startsWith("--"));
      const image = substituteArgs(words[0] ?? "", globalArgs);
      const name = words[1]?.toUpperCase() === "AS" ? (words[2] ?? null) : null;
      stages.push({ image, name, instructions: [] });
      continue;
    }
    const stage = stages.at(-1);
    if (stage === undefined) {
      if (instruction.keyword !== "ARG") {
        throw new DockerfileParseError(
          `line ${instruction.line}: ${instruction.keyword} before FROM`,
        );
      }
      const [name, value = ""] = instruction.args.split("=", 2);
      globalArgs.set((name ?? "").trim(), value.trim());
      continue;
    }
    stage.instructions.push(instruction);
  }
  if (stages.length === 0) throw new DockerfileParseError("no FROM instruction");
  return { globalArgs, stages };
}

function substituteArgs(value: string, args: ReadonlyMap<string, string>): string {
  return value.replace(/\$\{(\w+)\}|\$(\w+)/g, (_, braced?: string, bare?: string) => {
    return args.get(braced ?? bare ?? "") ?? "";
  });
}

/** The JSON exec form of CMD/ENTRYPOINT/RUN arguments (`["node", "x.js"]`), or null (shell form). */
export function execForm(args: string): string[] | null {
  if (!args.trimStart().startsWith("[")) return null;
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === "string")) {
    throw new DockerfileParseError(`exec form is not an array of strings: ${args}`);
  }
  return parsed;
}

/** `--flag=value` options and the remaining operands of COPY/ADD/HEALTHCHECK-like arguments. */
export function splitFlags(args: string): { flags: Map<string, string>; rest: string } {
  const flags = new Map<string, string>();
  let rest = args.trim();
  for (let match = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest); match; ) {
    flags.set(match[1] ?? "", match[2] ?? "");
    rest = rest.slice(match[0].length);
    match = /^--([\w-]+)(?:=(\S*))?\s*/.exec(rest);
  }
  return { flags, rest };
}

/** `KEY=value` pairs of ENV instructions (unquoted values, as this project writes them). */
export function envAssignments(stage: DockerStage): Map<string, string> {
  const env = new Map<string, string>();
  for (const { keyword, args } of stage.instructions) {
    if (keyword !== "ENV") continue;
    for (const pair of args.split(/\s+/)) {
      const [key, value] = pair.split("=", 2);
      if (key && value !== undefined) env.set(key, value);
    }
  }
  return env;
}
