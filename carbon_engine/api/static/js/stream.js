// Server-Sent Events read with fetch, not EventSource: EventSource cannot send the
// Authorization header, and a token in the URL would end up in access and proxy logs.
import { authorisedFetch } from "./auth.js";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Parse "event:/data:/retry:" blocks from a byte stream; call emit({event, data, retry}).
async function readEvents(body, emit) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { event: "message", data: [], retry: null };
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    const lines = buffer.split(/\r\n|\r|\n/);
    buffer = lines.pop();
    for (const line of lines) {
      if (line === "") {
        if (event.data.length) emit({ ...event, data: event.data.join("\n") });
        event = { event: "message", data: [], retry: null };
        continue;
      }
      const colon = line.indexOf(":");
      if (colon === 0) continue; // a comment (keep-alive)
      const field = colon < 0 ? line : line.slice(0, colon);
      const text = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event.event = text;
      else if (field === "data") event.data.push(text);
      else if (field === "retry" && /^\d+$/.test(text)) event.retry = Number(text);
    }
  }
}

// Follow the stream, reconnecting after the server's retry delay; handlers by event name,
// plus "open" and "error". Returns { close() }.
export function followStream(url, handlers) {
  let retryMs = 3000;
  let stopped = false;
  const controller = new AbortController();
  const dispatch = (ev) => {
    if (ev.retry !== null) retryMs = ev.retry;
    handlers[ev.event]?.(JSON.parse(ev.data));
  };
  (async () => {
    while (!stopped) {
      try {
        const response = await authorisedFetch(url, {
          headers: { Accept: "text/event-stream" },
          cache: "no-store",
          signal: controller.signal,
        });
        if (response.ok) {
          handlers.open?.();
          await readEvents(response.body, dispatch);
        }
      } catch (err) {
        if (stopped) return;
        console.info("live stream interrupted:", err.message);
      }
      handlers.error?.();
      await sleep(retryMs);
    }
  })();
  return {
    close() {
      stopped = true;
      controller.abort();
    },
  };
}
