/** One configuration fault, located as precisely as the source allows. */
export interface ConfigIssue {
  file: string;
  line?: number;
  key?: string;
  message: string;
}

/** Formats an issue as `file:line: key: message` (line and key when known). */
export function formatIssue(issue: ConfigIssue): string {
  const where = issue.line === undefined ? issue.file : `${issue.file}:${issue.line}`;
  const key = issue.key === undefined ? "" : `${issue.key}: `;
  return `${where}: ${key}${issue.message}`;
}

/** Raised when a configuration directory cannot be used; carries every fault found. */
export class ConfigError extends Error {
  constructor(readonly issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join("\n"));
    this.name = "ConfigError";
  }
}
