/// <reference lib="deno.worker" />
import { ProcessSlots } from "../../src/authz/process_slots.ts";

/** Takes one of the slots in the memory it is sent, says "held", and gives it back after `holdMs`. */
self.onmessage = async (event: MessageEvent<{ memory: SharedArrayBuffer; holdMs: number }>) => {
  const release = await new ProcessSlots(1, 4, event.data.memory).acquire();
  self.postMessage("held");
  await new Promise((resolve) => setTimeout(resolve, event.data.holdMs));
  release();
  self.postMessage("released");
};
