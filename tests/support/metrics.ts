import { curl } from "./curl.ts";

/** Samples of a Prometheus text exposition, keyed by `name{labels}` exactly as printed. */
export type Samples = Map<string, number>;

/** Fetches and parses /metrics from the metrics listener. */
export async function scrape(port: number): Promise<Samples> {
  const res = await curl(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`metrics: ${res.status}`);
  const samples: Samples = new Map();
  for (const line of res.text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    samples.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return samples;
}
