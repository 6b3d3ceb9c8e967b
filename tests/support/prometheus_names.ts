/** PromQL's functions, aggregations and keywords: identifiers in an expression that are not metric names. */
const PROMQL_WORDS = new Set([
  "sum",
  "min",
  "max",
  "avg",
  "count",
  "stddev",
  "stdvar",
  "topk",
  "bottomk",
  "quantile",
  "group",
  "rate",
  "irate",
  "increase",
  "delta",
  "idelta",
  "deriv",
  "histogram_quantile",
  "time",
  "vector",
  "scalar",
  "abs",
  "absent",
  "clamp_min",
  "clamp_max",
  "label_values",
  "by",
  "without",
  "on",
  "ignoring",
  "group_left",
  "group_right",
  "and",
  "or",
  "unless",
  "bool",
  "offset",
  "avg_over_time",
  "max_over_time",
  "min_over_time",
  "sum_over_time",
]);

/** Series Prometheus makes itself for every target, not the target's /metrics. */
export const SYNTHETIC_SERIES = new Set(["up", "scrape_duration_seconds", "scrape_samples_scraped"]);

/**
 * The metric names a PromQL expression reads: what is left once strings,
 * label matchers, grouping clauses, durations, numbers and PromQL's own words
 * are taken out.
 */
export function metricNamesIn(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/label_values\(\s*([^,)]+),[^)]*\)/g, " $1 ")
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\$\w+/g, " ");
  const names = new Set<string>();
  for (const [word] of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    if (!PROMQL_WORDS.has(word) && !/^(e|inf|nan)$/i.test(word)) names.add(word);
  }
  return names;
}

/** The series names a Prometheus text exposition can carry: each family, and a histogram's _bucket/_sum/_count. */
export function exportedNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === "histogram") {
      for (const suffix of ["_bucket", "_sum", "_count"]) names.add(name + suffix);
    }
    if (type === "summary") { for (const suffix of ["_sum", "_count"]) names.add(name + suffix); }
  }
  return names;
}
