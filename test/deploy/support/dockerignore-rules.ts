interface IgnoreRule {
  readonly pattern: RegExp;
  /** `!pattern`: puts matching paths back into the build context. */
  readonly include: boolean;
}

/** Reads .dockerignore lines into ordered rules (comments and blank lines skipped). */
export function parseDockerignore(text: string): IgnoreRule[] {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const include = line.startsWith("!");
      const cleaned = (include ? line.slice(1) : line)
        .trim()
        .replace(/^(\.\/|\/)+/, "")
        .replace(/\/+$/, "");
      return { pattern: globToRegExp(cleaned), include };
    });
}

/**
 * Whether `path` (relative, forward slashes) stays out of the build context. Follows Docker's
 * rules: the last matching rule wins, and a rule matching a parent directory matches its contents.
 */
export function isExcludedFromContext(rules: readonly IgnoreRule[], path: string): boolean {
  const segments = path.split("/");
  const candidates = segments.map((_, index) => segments.slice(0, index + 1).join("/"));
  let excluded = false;
  for (const rule of rules) {
    if (candidates.some((candidate) => rule.pattern.test(candidate))) excluded = !rule.include;
  }
  return excluded;
}

function globToRegExp(glob: string): RegExp {
  let source = "";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i] ?? "";
    if (glob.startsWith("**/", i)) {
      source += "(?:.*/)?";
      i += 2;
    } else if (glob.startsWith("**", i)) {
      source += ".*";
      i += 1;
    } else if (char === "*") {
      source += "[^/]*";
    } else if (char === "?") {
      source += "[^/]";
    } else {
      source += char.replace(/[.+^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`);
}
