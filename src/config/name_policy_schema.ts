import type { z } from "zod";
import { type NamePattern, parseSanPattern, parseSubjectAttributePattern } from "../pki/name_pattern.ts";
import { stringList } from "./values.ts";

/** A list of "TYPE=VALUE" entries read by `parse`, each problem reported against the list. */
function patternList(parse: (entry: string) => NamePattern | string): z.ZodType<NamePattern[], unknown> {
  return stringList.transform((entries, ctx): NamePattern[] =>
    entries.flatMap((entry) => {
      const pattern = parse(entry);
      if (typeof pattern === "string") {
        ctx.addIssue({ code: "custom", message: pattern });
        return [];
      }
      return [pattern];
    })
  );
}

/** `allowed_subject_attributes`: subject attributes a password principal may add beside its CN. */
export const subjectAttributePatterns = patternList(parseSubjectAttributePattern);

/** `allowed_subject_alt_names`: the subjectAltNames a password principal may request. */
export const sanPatterns = patternList(parseSanPattern);

/** Dogtag's rule: DNS, email, IP and URI names equal to the user ID or full name. */
export const DEFAULT_SAN_PATTERNS: readonly string[] = [
  "dns={identity}",
  "email={identity}",
  "ip={identity}",
  "url={identity}",
];
