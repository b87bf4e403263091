// Reads a text/event-stream response body (fetch) event by event, noting when each arrived.

// Yields { data, at } for each event as soon as its blank line has arrived; multi-line data is
// joined with "\n" as the SSE spec says; comments and other fields are ignored.
export async function* sseEvents(response) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk, { stream: true });
    for (let match; (match = /\r\n\r\n|\n\n|\r\r/.exec(buffer));) {
      const block = buffer.slice(0, match.index);
      buffer = buffer.slice(match.index + match[0].length);
      const data = block.split(/\r\n|\n|\r/)
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(5).replace(/^ /, ''));
      if (data.length) yield { data: data.join('\n'), at: Date.now() };
    }
  }
  if (buffer.trim() !== '') yield { data: buffer.replace(/^data: ?/, '').trim(), at: Date.now(), unterminated: true };
}

// Reads the whole stream. A body that breaks off (socket closed without the final chunk) is
// reported in `broken` instead of throwing, so tests can assert what arrived before it.
export async function readSse(response) {
  const events = [];
  let broken = null;
  try {
    for await (const event of sseEvents(response)) events.push(event);
  } catch (error) {
    broken = error;
  }
  const payloads = events.map((event) => event.data);
  return {
    events,
    broken,
    payloads,
    done: payloads.at(-1) === '[DONE]',
    chunks: payloads.filter((data) => data !== '[DONE]').map((data) => JSON.parse(data)),
  };
}
