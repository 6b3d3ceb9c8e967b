import type * as PromClient from "prom-client";
import CounterImpl from "prom-client/lib/counter.js";
import GaugeImpl from "prom-client/lib/gauge.js";
import HistogramImpl from "prom-client/lib/histogram.js";
import RegistryImpl from "prom-client/lib/registry.js";

/**
 * The prom-client classes this server uses, taken from their own modules:
 * the package's index also loads the push gateway (zlib, http), the cluster
 * aggregator and summaries: about 15 ms of startup.
 */
export const Registry = RegistryImpl as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = CounterImpl as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = GaugeImpl as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = HistogramImpl as typeof PromClient.Histogram;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;

/** prom-client's AggregatorRegistry, loaded when the first aggregated scrape asks for it. */
export async function aggregatorRegistry(): Promise<typeof PromClient.AggregatorRegistry> {
  const { default: aggregator } = await import("prom-client/lib/cluster.js");
  return aggregator as typeof PromClient.AggregatorRegistry;
}
