import assert from "node:assert/strict";
import type { LogRecord } from "@logtape/logtape";
import { formatJsonLine } from "../../src/ops/logging.ts";

const record = (message: unknown[], properties: Record<string, unknown>): LogRecord => ({
  category: ["est", "unit"],
  level: "info",
  message,
  rawMessage: "",
  timestamp: Date.UTC(2026, 0, 2, 3, 4, 5),
  properties,
});

Deno.test("log lines: one JSON object with a bare-string message and flat properties", () => {
  const line = formatJsonLine(
    record(["issued ", "CN=x", " serial ", 42, " in ", { a: 1 }, ""], { subject: "CN=x" }),
  );
  assert.ok(line.endsWith("}\n"));
  assert.deepEqual(JSON.parse(line), {
    "@timestamp": "2026-01-02T03:04:05.000Z",
    level: "INFO",
    message: 'issued CN=x serial 42 in {"a":1}',
    logger: "est.unit",
    subject: "CN=x",
  });
});

Deno.test("log lines: errors become 'Name: message', no stack", () => {
  const err = new TypeError("boom");
  const parsed = JSON.parse(
    formatJsonLine(record(["failed: ", err, ""], { error: err, nothing: undefined })),
  );
  assert.equal(parsed.message, "failed: TypeError: boom");
  assert.equal(parsed.error, "TypeError: boom");
  assert.ok(!("nothing" in parsed));
});

Deno.test("log lines: the text format keeps every property of an access line", async () => {
  const { formatTextLine } = await import("../../src/ops/logging.ts");
  const line = formatTextLine(record(["POST ", "/x", " ", 200, ""], {
    requestId: "r-1",
    principal: "alice",
    remoteAddr: "127.0.0.1",
    clientCertSubject: "CN=a b",
    error: new Error("e"),
    absent: undefined,
  }));
  assert.equal(
    line,
    '2026-01-02T03:04:05.000Z [INFO] est.unit: POST /x 200 requestId=r-1 principal=alice remoteAddr=127.0.0.1 clientCertSubject="CN=a b" error="Error: e"\n',
  );
});

Deno.test("log sinks: a sink marked immediate is handed the logger's record, not a copy made for it", async () => {
  const { markImmediate, stderrSink, formatJsonLine: format } = await import("../../src/ops/logging.ts");
  const { configure, getLogger, reset } = await import("@logtape/logtape");
  const handed = async (immediate: boolean): Promise<LogRecord> => {
    let seen: LogRecord | undefined;
    const sink = (r: LogRecord) => seen = r;
    await configure({
      reset: true,
      sinks: { only: immediate ? markImmediate(sink) : sink },
      loggers: [
        { category: ["est"], lowestLevel: "info", sinks: ["only"] },
        { category: ["logtape", "meta"], lowestLevel: "warning", sinks: [] },
      ],
    });
    try {
      getLogger(["est", "unit"]).info("{method} {status}", { method: "POST", status: 200 });
    } finally {
      await reset();
    }
    return seen!;
  };
  const accessor = (r: LogRecord) => Object.getOwnPropertyDescriptor(r, "properties")?.get !== undefined;
  assert.equal(accessor(await handed(false)), false, "LogTape copies the record for an unmarked sink");
  const record = await handed(true);
  assert.equal(accessor(record), true, "and hands a marked one its own record");
  assert.deepEqual(record.properties, { method: "POST", status: 200 });
  assert.equal(record.message.join(""), "POST 200");
  const marker = Symbol.for("LogTape.sinkSnapshotPolicy.immediate");
  assert.equal((stderrSink(format) as unknown as Record<symbol, unknown>)[marker], true);
});

Deno.test("stderr sink: the lines of one turn are written together once the turn is done", async () => {
  const { setupLogging, closeLogging } = await import("../../src/ops/logging.ts");
  const { getLogger } = await import("@logtape/logtape");
  const writes: string[] = [];
  const original = Deno.stderr.writeSync;
  Deno.stderr.writeSync = (bytes: Uint8Array) => {
    writes.push(new TextDecoder().decode(bytes));
    return bytes.byteLength;
  };
  try {
    await setupLogging({ level: "info", format: "text" });
    const log = getLogger(["est", "unit"]);
    log.info("first");
    log.info("second");
    assert.deepEqual(writes, [], "nothing is written during the turn");
    await new Promise((turnDone) => setTimeout(turnDone, 0));
    assert.equal(writes.length, 1);
    assert.match(writes[0], /est\.unit: first\n.*est\.unit: second\n$/);
    log.info("third");
    await closeLogging();
    assert.equal(writes.length, 2, "closing writes what is queued");
    assert.match(writes[1], /est\.unit: third\n$/);
  } finally {
    Deno.stderr.writeSync = original;
  }
});
