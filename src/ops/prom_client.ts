/**
 * The prom-client classes this server uses, through the package's public
 * entry point.
 *
 * @module
 */

import * as PromClient from "prom-client";

export const { Registry, Counter, Gauge, Histogram } = PromClient;
export type Registry = PromClient.Registry;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;

/** prom-client's AggregatorRegistry, which sums the metrics of several listener threads. */
export function aggregatorRegistry(): Promise<typeof PromClient.AggregatorRegistry> {
  return Promise.resolve(PromClient.AggregatorRegistry);
}
