import { configure, dispose, type LogLevel, type LogRecord, type Sink } from "@logtape/logtape";
import { setImmediate } from "node:timers";
import type { Settings } from "../config/settings.ts";

const encoder = new TextEncoder();
/** Lines not yet written; a write is scheduled whenever there are any. */
let pending: string[] = [];

/**
 * Queues `line`; the lines of one turn of the event loop are written to
 * stderr once the turn is done, in one write. An access line is
 * logged before its response is written; this way the response goes first.
 * The write is synchronous, as most servers' logging is: a short write to
 * a pipe or journald, with no thread to hand it to and wake, and when the
 * reader stalls, requests wait for it instead of lines piling up in memory.
 */
function queueLine(line: string): void {
  pending.push(line);
  if (pending.length === 1) setImmediate(flush);
}

function flush(): void {
  if (pending.length === 0) return;
  let bytes = encoder.encode(pending.join(""));
  pending = [];
  while (bytes.byteLength > 0) bytes = bytes.subarray(Deno.stderr.writeSync(bytes));
}

/**
 * Marks a sink as one that is done with each record when it returns, so
 * LogTape hands it the record itself instead of first copying the record and
 * its properties for it (a copy per line, for sinks that read records later).
 * The marker is the one LogTape puts on its own immediate sinks (a Symbol.for
 * key, so that copies of LogTape agree); it is not in LogTape's documented API,
 * so were a later LogTape to ignore it, records would be copied again, as
 * before, and the test of this marking would say so.
 */
export function markImmediate(sink: Sink): Sink {
  Object.defineProperty(sink, Symbol.for("LogTape.sinkSnapshotPolicy.immediate"), { value: true });
  return sink;
}

/** A sink that formats each record as it comes and queues the line; each turn's lines are written after it. */
export function stderrSink(format: (record: LogRecord) => string): Sink {
  return markImmediate((record) => {
    queueLine(format(record));
  });
}

/** Log values as JSON can hold them: errors as "Name: message", everything else as it is. */
function plain(value: unknown): unknown {
  return value instanceof Error ? `${value.name}: ${value.message}` : value;
}

/** A message with its placeholders filled in, strings bare (no quotes). */
function renderMessage(record: LogRecord): string {
  let text = "";
  for (let i = 0; i < record.message.length; i++) {
    const value = i % 2 === 0 ? record.message[i] : plain(record.message[i]);
    text += typeof value === "string" ? value : JSON.stringify(value) ?? String(value);
  }
  return text;
}

/** One JSON object per line: time, level, rendered message, logger, then the record's properties. */
export function formatJsonLine(record: LogRecord): string {
  const line: Record<string, unknown> = {
    "@timestamp": new Date(record.timestamp).toISOString(),
    level: record.level.toUpperCase(),
    message: renderMessage(record),
    logger: record.category.join("."),
  };
  for (const key in record.properties) line[key] = plain(record.properties[key]);
  return `${JSON.stringify(line)}\n`;
}

/** A property value as text: bare when it is a plain word, JSON otherwise (so spaces and quotes stay readable). */
function textValue(value: unknown): string {
  const v = plain(value);
  if (typeof v === "string" && /^[^\s"=]+$/.test(v)) return v;
  return JSON.stringify(v) ?? String(v);
}

/**
 * One text line: time, level, logger, rendered message, then every property
 * as key=value (request ID, principal, remote address and the rest), so the
 * text format says all the JSON format does.
 */
export function formatTextLine(record: LogRecord): string {
  let line = `${new Date(record.timestamp).toISOString()} [${record.level.toUpperCase()}] ${
    record.category.join(".")
  }: ${renderMessage(record)}`;
  for (const key in record.properties) {
    if (record.properties[key] !== undefined) line += ` ${key}=${textValue(record.properties[key])}`;
  }
  return `${line}\n`;
}

/** Routes every "est" logger to `sink` (default: stderr) as JSON lines or text, at the configured level. */
export async function setupLogging(settings: Settings["log"], sink?: Sink): Promise<void> {
  const formatter = settings.format === "json" ? formatJsonLine : formatTextLine;
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
  flush();
}
