import assert from "node:assert/strict";
import { newSerialHex } from "../../src/backend/local_ca/serial.ts";

const AT = 0x0123_4567_89ab; // 2009-02-13T23:31:30.123Z

Deno.test("serial: 16 octets, positive with no leading zero octet, the millisecond in the first six", () => {
  const serial = newSerialHex(AT);
  assert.match(serial, /^[0-9a-f]{32}$/);
  assert.equal(serial.slice(0, 12), "4123456789ab");
  for (const now of [0, 1, 2 ** 46 - 1, 2 ** 47, 2 ** 48 - 1]) {
    const first = Number.parseInt(newSerialHex(now).slice(0, 2), 16);
    assert.ok(first >= 0x40 && first <= 0x7f, `first octet ${first.toString(16)} at ${now}`);
  }
  assert.equal(newSerialHex(2 ** 40 + 1).slice(0, 12), "410000000001");
});

Deno.test("serial: made at later milliseconds, they sort later, whatever their random octets", () => {
  const serials = Array.from({ length: 500 }, (_, i) => newSerialHex(AT + i));
  assert.deepEqual(serials.toSorted(), serials);
});

Deno.test("serial: the ten octets after the millisecond are random", () => {
  const serials = Array.from({ length: 256 }, () => newSerialHex(AT));
  assert.equal(new Set(serials).size, serials.length);
  for (let octet = 6; octet < 16; octet++) {
    const values = new Set(serials.map((s) => s.slice(octet * 2, octet * 2 + 2)));
    assert.ok(values.size > 64, `octet ${octet} took ${values.size} values in 256 serials`);
  }
});

Deno.test("serial: the current time when none is given", () => {
  const before = Date.now();
  const serial = newSerialHex();
  const millisecond = Number.parseInt(serial.slice(0, 12), 16) - 0x40 * 2 ** 40; // the first octet's 0x40 off
  assert.ok(millisecond >= before && millisecond <= Date.now());
});
