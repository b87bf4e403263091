// A loopback OpenTelemetry collector speaking OTLP/HTTP (POST /v1/traces) in both encodings: a
// protobuf body (application/x-protobuf) is decoded with protobufjs and the official
// opentelemetry-proto definitions (the static code the OpenTelemetry JS SDK generates from them)
// and turned into OTLP's JSON mapping; a JSON body (application/json) is parsed. Either way it
// checks the ExportTraceServiceRequest against that mapping (lowerCamelCase keys, hex ids of the
// right length, Unix nanoseconds as decimal strings, integer enums, one AnyValue field per
// attribute) and answers, in the request's encoding, as its plan says: 'ok' (200, an empty
// ExportTraceServiceResponse), 'partial' (200 with partialSuccess rejecting every span of the
// request), an HTTP status such as 503, or { status, retryAfter } (a status with a Retry-After
// header of that many seconds).
import { createRequire } from 'node:module';
import { startRecorder } from './recorder.mjs';

const require = createRequire(import.meta.url);
const { ExportTraceServiceRequest, ExportTraceServiceResponse } =
  require('@opentelemetry/otlp-transformer/build/src/generated/root.js').opentelemetry.proto.collector.trace.v1;

const kProtobuf = 'application/x-protobuf';

// A protobuf body as OTLP's JSON mapping: protobufjs's object form (lowerCamelCase, 64-bit
// integers as decimal strings, enums as numbers, fields left unset absent), ids as hex. Throws on
// a body that is not an ExportTraceServiceRequest's bytes, or that holds fields the definitions
// do not have (they would be dropped when it is encoded again).
function decodeProtobuf(bytes) {
  const message = ExportTraceServiceRequest.decode(bytes);
  if (ExportTraceServiceRequest.encode(message).finish().length !== bytes.length) {
    throw new Error('fields the definitions do not have');
  }
  const request = ExportTraceServiceRequest.toObject(message, { longs: String, enums: Number, bytes: String });
  const hex = (base64) => Buffer.from(base64, 'base64').toString('hex');
  for (const span of (request.resourceSpans ?? []).flatMap((r) => r.scopeSpans ?? []).flatMap((s) => s.spans ?? [])) {
    for (const id of ['traceId', 'spanId', 'parentSpanId']) {
      if (span[id] !== undefined) span[id] = hex(span[id]);
    }
  }
  return request;
}

function answerBody(encoding, partialSuccess) {
  if (encoding === 'json') return partialSuccess ? { partialSuccess } : {};
  return ExportTraceServiceResponse.encode({ partialSuccess }).finish();
}

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
      const contentType = record.headers['content-type'] ?? '';
      record.encoding = contentType === kProtobuf ? 'protobuf' : 'json';
      let parsed;
      try {
        parsed = record.encoding === 'protobuf' ? decodeProtobuf(record.bytes) : JSON.parse(record.body);
      } catch (error) {
        record.problem = `not ${record.encoding}: ${error.message}`;
      }
      if (record.method !== 'POST' || record.path !== path) record.problem = `${record.method} ${record.path}`;
      else if (record.encoding === 'json' && !/^application\/json/.test(contentType)) record.problem = `content-type ${contentType}`;
      else record.problem ??= mappingProblem(parsed);
      record.request = parsed;
      const spanCount = record.problem ? 0 : parsed.resourceSpans.flatMap((r) => r.scopeSpans).flatMap((s) => s.spans ?? []).length;
      let status = 200;
      let reply = answerBody(record.encoding);
      if (record.problem) {
        status = 400;
        reply = { code: 3, message: record.problem };  // a google.rpc.Status, as JSON
      } else if (answer === 'partial') {
        const rejectedSpans = record.encoding === 'json' ? String(spanCount) : spanCount;
        reply = answerBody(record.encoding, { rejectedSpans, errorMessage: 'spans too old' });
      } else if (answer !== 'ok') {
        status = answer.status ?? answer;
        reply = { code: 14, message: 'unavailable' };
      }
      const headers = answer.retryAfter === undefined ? {} : { 'retry-after': String(answer.retryAfter) };
      return { status, body: reply, contentType: kProtobuf, headers };
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
