// A loopback OpenTelemetry collector speaking OTLP/HTTP with JSON encoding (POST /v1/traces): it
// checks each ExportTraceServiceRequest against OTLP's JSON mapping (lowerCamelCase keys, hex
// ids of the right length, Unix nanoseconds as decimal strings, integer enums, one AnyValue
// field per attribute) and answers each request as its plan says: 'ok' (200 {}), 'partial'
// (200 with partialSuccess rejecting every span of the request) or an HTTP status such as 503.
import { startRecorder } from './recorder.mjs';

const kAnyValueFields = ['stringValue', 'boolValue', 'intValue', 'doubleValue', 'arrayValue', 'kvlistValue', 'bytesValue'];

// The first way `request` breaks OTLP's JSON mapping, or null.
function mappingProblem(request) {
  if (!Array.isArray(request.resourceSpans)) return 'resourceSpans is not an array';
  for (const resourceSpans of request.resourceSpans) {
    for (const attribute of resourceSpans.resource?.attributes ?? []) {
      const problem = attributeProblem(attribute);
      if (problem) return `resource: ${problem}`;
    }
    if (!Array.isArray(resourceSpans.scopeSpans)) return 'scopeSpans is not an array';
    for (const scopeSpans of resourceSpans.scopeSpans) {
      if (typeof scopeSpans.scope?.name !== 'string') return 'scope.name is not a string';
      for (const span of scopeSpans.spans ?? []) {
        if (!/^[0-9a-f]{32}$/.test(span.traceId) || /^0+$/.test(span.traceId)) return `traceId ${span.traceId}`;
        if (!/^[0-9a-f]{16}$/.test(span.spanId) || /^0+$/.test(span.spanId)) return `spanId ${span.spanId}`;
        if (span.parentSpanId !== undefined && !/^[0-9a-f]{16}$/.test(span.parentSpanId)) return `parentSpanId ${span.parentSpanId}`;
        if (typeof span.name !== 'string' || span.name === '') return 'span without a name';
        if (!Number.isInteger(span.kind) || span.kind < 0 || span.kind > 5) return `kind ${span.kind}`;
        for (const field of ['startTimeUnixNano', 'endTimeUnixNano']) {
          if (typeof span[field] !== 'string' || !/^\d+$/.test(span[field])) return `${field} ${span[field]}`;
        }
        if (BigInt(span.endTimeUnixNano) < BigInt(span.startTimeUnixNano)) return 'the span ends before it starts';
        if (!Number.isInteger(span.status?.code) || span.status.code < 0 || span.status.code > 2) return `status ${JSON.stringify(span.status)}`;
        for (const attribute of [...span.attributes ?? [], ...(span.events ?? []).flatMap((e) => e.attributes ?? [])]) {
          const problem = attributeProblem(attribute);
          if (problem) return `span ${span.name}: ${problem}`;
        }
      }
    }
  }
  return null;
}

function attributeProblem({ key, value }) {
  if (typeof key !== 'string' || key === '') return 'an attribute without a key';
  const fields = Object.keys(value ?? {});
  if (fields.length !== 1 || !kAnyValueFields.includes(fields[0])) return `${key}: value ${JSON.stringify(value)}`;
  if (fields[0] === 'intValue' && !/^-?\d+$/.test(value.intValue)) return `${key}: intValue ${value.intValue}`;
  return null;
}

// An AnyValue as a plain JS value (intValue as a Number: the tests' counts are small).
function plain(value) {
  if ('intValue' in value) return Number(value.intValue);
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(plain);
  return Object.values(value)[0];
}

// plan: answers in turn, the last one repeated.
export async function startOtlpCollector({ plan = ['ok'], path = '/v1/traces' } = {}) {
  const recorder = await startRecorder({
    respond(record, index) {
      const answer = plan[Math.min(index, plan.length - 1)];
      record.answer = answer;
      record.problem = null;
      let parsed;
      try {
        parsed = JSON.parse(record.body);
      } catch {
        record.problem = 'not JSON';
      }
      if (record.method !== 'POST' || record.path !== path) record.problem = `${record.method} ${record.path}`;
      else if (!/^application\/json/.test(record.headers['content-type'] ?? '')) record.problem = 'not application/json';
      else record.problem ??= mappingProblem(parsed);
      record.request = parsed;
      const spanCount = record.problem ? 0 : parsed.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans ?? []).length;
      let status = 200;
      let answerBody = {};
      if (record.problem) {
        status = 400;
        answerBody = { code: 3, message: record.problem };  // a google.rpc.Status
      } else if (answer === 'partial') {
        answerBody = { partialSuccess: { rejectedSpans: String(spanCount), errorMessage: 'spans too old' } };
      } else if (typeof answer === 'number') {
        status = answer;
        answerBody = { code: 14, message: 'unavailable' };
      }
      return { status, body: answerBody };
    },
  });
  const collector = {
    url: recorder.url,
    requests: recorder.requests,
    // The spans of the requests it accepted (answered 'ok'), each with its resource's and its
    // own attributes as plain objects.
    spans() {
      return recorder.requests.filter((r) => r.status === 200 && r.answer === 'ok').flatMap((r) => r.request.resourceSpans.flatMap((resourceSpans) => {
        const resource = Object.fromEntries((resourceSpans.resource?.attributes ?? []).map((a) => [a.key, plain(a.value)]));
        return resourceSpans.scopeSpans.flatMap((scopeSpans) => (scopeSpans.spans ?? []).map((span) => ({
          ...span,
          scope: scopeSpans.scope.name,
          resource,
          attributes: Object.fromEntries((span.attributes ?? []).map((a) => [a.key, plain(a.value)])),
        })));
      }));
    },
    // Resolves once done(collector) holds (checked on every request); rejects after timeoutMs.
    until: (done, timeoutMs) => recorder.until(() => done(collector), timeoutMs),
    close: recorder.close,
  };
  return collector;
}
