/**
 * A new listener thread, whichever thread creates it (the primary, or the
 * audit writer thread on its behalf). Its uncaught error goes to `failed`
 * and no further (the creator reports it its own way).
 *
 * @module
 */
export function newListenerWorker(failed: (message: string) => void): Worker {
  const worker = new Worker(new URL("./worker_thread.ts", import.meta.url), { type: "module" });
  worker.onerror = (event) => {
    event.preventDefault();
    failed(event.message);
  };
  return worker;
}
