// The behaviours every dialect shares (behaviours.mjs): errors, garbage, a slow first byte,
// streams cut or paced. A dialect supplies only its own bytes, so a scripted fault looks the same
// whichever wire format carries it.
import { setTimeout as sleep } from 'node:timers/promises';

const kPaddingPiece = 64 * 1024;
const kSpaces = Buffer.alloc(kPaddingPiece, ' ');
// 64 lines of 1 KiB that every parser skips: SSE comments, and blank NDJSON lines.
const kSkippedLines = {
  'text/event-stream': Buffer.from(`:${' '.repeat(1022)}\n`.repeat(kPaddingPiece / 1024)),
  'application/x-ndjson': Buffer.from(`${' '.repeat(1023)}\n`.repeat(kPaddingPiece / 1024)),
};

// `bytes` of `filler`, in pieces of at most 64 KiB.
function* repeated(filler, bytes) {
  for (let left = bytes; left > 0; left -= kPaddingPiece) yield filler.subarray(0, Math.min(left, kPaddingPiece));
}

// The same JSON text with `bytes` of whitespace after its first '{', in pieces.
function* paddedJson(text, bytes) {
  const at = text.indexOf('{') + 1;
  yield text.slice(0, at);
  yield* repeated(kSpaces, bytes);
  yield text.slice(at);
}

// A stream's pieces for the huge-answer and huge-event behaviours (SSE and NDJSON dialects).
function* hugeStream(events, behaviour, contentType) {
  const gap = Math.floor(behaviour.bytes / events.length / 1024) * 1024;  // whole lines
  for (const [index, event] of events.entries()) {
    if (behaviour.kind === 'huge-event' && index === 0) {
      yield* paddedJson(String(event), behaviour.bytes);
      continue;
    }
    if (behaviour.kind === 'huge-answer') yield* repeated(kSkippedLines[contentType], gap);
    yield event;
  }
}

// bodies: {
//   error(status, code?) → { status, body, headers? }   the dialect's error answer (code: an
//                  OpenAI error code such as context_length_exceeded, for dialects that have one)
//   json()        → string | object               a successful non-streamed body
//   events()      → string[]                      a successful stream, one string per event
//   contentType?  stream content type (default text/event-stream)
// }
export async function answer(exchange, behaviour, { stream, bodies }) {
  switch (behaviour.kind) {
    case 'error': {
      const { status, body, headers = {} } = bodies.error(behaviour.status, behaviour.code);
      const retry = behaviour.retryAfter === undefined ? {} : { 'retry-after': String(behaviour.retryAfter) };
      return exchange.json(status, body, { ...headers, ...retry });
    }
    case 'garbage':
      return exchange.json(200, '<html><body>502 Bad Gateway (definitely not JSON)</body></html>');
    case 'redirect':
      // Followed, it would show as a second recorded request.
      return exchange.json(behaviour.status, '<html><body>Moved</body></html>',
        { 'content-type': 'text/html', location: '/v1/chat/completions' });
    case 'reset':
      return exchange.dropConnection();
    case 'slow-first-byte':
      await sleep(behaviour.delayMs);
      if (exchange.gone) return undefined;
      break;
    default:
      break;
  }
  if (!stream) {
    if (behaviour.kind === 'stream-cut') return exchange.dropConnection();
    if (behaviour.kind === 'stall') return undefined;  // never answers
    if (behaviour.kind === 'huge-answer' || behaviour.kind === 'huge-event') {
      const json = bodies.json();
      return exchange.sendPieces('application/json', paddedJson(typeof json === 'string' ? json : JSON.stringify(json), behaviour.bytes));
    }
    return exchange.json(200, bodies.json(), behaviour.headers);
  }
  const events = bodies.events();
  const contentType = bodies.contentType ?? 'text/event-stream';
  if (behaviour.kind === 'huge-answer' || behaviour.kind === 'huge-event') {
    return exchange.sendPieces(contentType, hugeStream(events, behaviour, contentType), events.length);
  }
  if (behaviour.kind === 'stream-cut') return exchange.streamThenCut(events, behaviour.afterEvents, contentType);
  if (behaviour.kind === 'stall') return exchange.streamThenStall(events, behaviour.afterEvents, contentType);
  if (behaviour.kind === 'stream-slow') return exchange.streamSlowly(events, behaviour.intervalMs, contentType);
  return exchange.streamInPieces(events, contentType, behaviour.headers);
}
