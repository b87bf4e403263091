// The behaviours every dialect shares (behaviours.mjs): errors, garbage, a slow first byte,
// streams cut or paced. A dialect supplies only its own bytes, so a scripted fault looks the same
// whichever wire format carries it.
import { setTimeout as sleep } from 'node:timers/promises';

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
    return exchange.json(200, bodies.json());
  }
  const events = bodies.events();
  const contentType = bodies.contentType ?? 'text/event-stream';
  if (behaviour.kind === 'stream-cut') return exchange.streamThenCut(events, behaviour.afterEvents, contentType);
  if (behaviour.kind === 'stall') return exchange.streamThenStall(events, behaviour.afterEvents, contentType);
  if (behaviour.kind === 'stream-slow') return exchange.streamSlowly(events, behaviour.intervalMs, contentType);
  return exchange.streamInPieces(events, contentType);
}
