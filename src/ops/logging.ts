import {
  configure,
  dispose,
  getJsonLinesFormatter,
  getTextFormatter,
  type LogLevel,
  type LogRecord,
  type Sink,
} from "@logtape/logtape";
import type { LogSettings } from "../config/schema.ts";

const encoder = new TextEncoder();
let pending: string[] = [];
let flushing: Promise<void> | undefined;

async function flush(): Promise<void> {
  while (pending.length > 0) {
    let bytes = encoder.encode(pending.join(""));
    pending = [];
    while (bytes.byteLength > 0) bytes = bytes.subarray(await Deno.stderr.write(bytes));
  }
  flushing = undefined;
}

/** A sink that queues formatted lines and writes them to stderr off the request path. */
function stderrSink(format: (record: LogRecord) => string): Sink {
  return (record) => {
    pending.push(format(record));
    flushing ??= flush();
  };
}

/** Routes every "est" logger to `sink` (default: stderr) as JSON lines or text, at the configured level. */
export async function setupLogging(settings: LogSettings, sink?: Sink): Promise<void> {
  const formatter = settings.format === "json"
    ? getJsonLinesFormatter({ categorySeparator: ".", message: "rendered", properties: "flatten" })
    : getTextFormatter({ timestamp: "date-time", level: "FULL", category: "." });
  await configure({
    reset: true,
    sinks: { main: sink ?? stderrSink(formatter) },
    loggers: [
      { category: ["est"], lowestLevel: settings.level as LogLevel, sinks: ["main"] },
      { category: ["logtape", "meta"], lowestLevel: "warning", sinks: ["main"] },
    ],
  });
}

/** Writes out queued log lines and detaches the sinks; call before exit. */
export async function closeLogging(): Promise<void> {
  await dispose();
  await flushing;
}
