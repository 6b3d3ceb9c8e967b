/**
 * The prom-client classes this server uses, taken from their own modules.
 * The package's entry point also loads its default metrics, whose CPU
 * collector loads @opentelemetry/api, and its push gateway (http, https,
 * zlib): about 70 ms of every listener thread's start (src/ops/process_metrics.ts
 * takes the default collectors it uses from their own modules too).
 *
 * @module
 */

import type * as PromClient from "prom-client";
import CounterImpl from "prom-client/lib/counter.js";
import GaugeImpl from "prom-client/lib/gauge.js";
import HistogramImpl from "prom-client/lib/histogram.js";
import RegistryImpl from "prom-client/lib/registry.js";

export const Registry = RegistryImpl as typeof PromClient.Registry;
export type Registry = PromClient.Registry;
export const Counter = CounterImpl as typeof PromClient.Counter;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge = GaugeImpl as typeof PromClient.Gauge;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram = HistogramImpl as typeof PromClient.Histogram;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;

/** prom-client's AggregatorRegistry (it loads node:cluster), when the first summed scrape needs it. */
export async function aggregatorRegistry(): Promise<typeof PromClient.AggregatorRegistry> {
  const { default: aggregator } = await import("prom-client/lib/cluster.js");
  return aggregator as typeof PromClient.AggregatorRegistry;
}
