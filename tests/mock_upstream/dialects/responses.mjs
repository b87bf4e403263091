// OpenAI's Responses API as OpenAI (POST /v1/responses) and Azure (/openai/responses,
// /openai/v1/responses) serve it: the recorded chat fixtures' answers in the Responses wire format
// (../shared/docs/wire/openai-responses.md §3-4): a response object, or the typed event stream —
// `event:` lines, sequence numbers from 0, response.created and .in_progress, per output item its
// added / delta / done events, response.completed with the usage. The upstream model scripts the
// behaviour as on the chat routes (behaviours.mjs), plus:
//   mock-responses-error-event     a stream whose first event after response.created is an `error`
//   mock-responses-failed          a JSON answer with status "failed" (streamed: response.failed)
// Ids are made from `n`, the mock's number of the request (record.id), so each answer has its own,
// as OpenAI's do. Exported so tests can compute what the mock answered.
import { readFixture, fixtureStreamEvents, eventData, slowStreamEvents } from '../bodies.mjs';

const kCreatedAt = 1741569952;

function usageOf(chatUsage) {
  if (!chatUsage) return null;
  return {
    input_tokens: chatUsage.prompt_tokens,
    input_tokens_details: { cached_tokens: chatUsage.prompt_tokens_details?.cached_tokens ?? 0 },
    output_tokens: chatUsage.completion_tokens,
    output_tokens_details: { reasoning_tokens: chatUsage.completion_tokens_details?.reasoning_tokens ?? 0 },
    total_tokens: chatUsage.total_tokens,
  };
}

// The response object with the request's settings echoed, as OpenAI answers.
export function responseObject(id, body, { status = 'completed', output = [], usage = null, error = null } = {}) {
  return {
    id, object: 'response', created_at: kCreatedAt, status, error, incomplete_details: null,
    instructions: body.instructions ?? null, max_output_tokens: body.max_output_tokens ?? null,
    model: body.model, output, parallel_tool_calls: body.parallel_tool_calls ?? true,
    previous_response_id: body.previous_response_id ?? null, reasoning: { effort: null, summary: null },
    store: body.store ?? true, temperature: body.temperature ?? 1.0,
    text: body.text ?? { format: { type: 'text' } }, tool_choice: body.tool_choice ?? 'auto',
    tools: body.tools ?? [], top_p: body.top_p ?? 1.0, truncation: 'disabled', usage, user: null,
    metadata: body.metadata ?? {},
  };
}

const messageItem = (id, text, status = 'completed') => ({
  id, type: 'message', status, role: 'assistant',
  content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
});
const callItem = (call, status = 'completed') => ({
  type: 'function_call', id: `fc_${call.id}`, call_id: call.id, name: call.name,
  arguments: status === 'completed' ? call.arguments : '', status,
});

// The chat answer a behaviour gives, as a response object.
export function responsesBody(body, toolCall, n) {
  const chat = JSON.parse(readFixture(toolCall ? 'chat_completion_tool_calls.json' : 'chat_completion.json'));
  const { message } = chat.choices[0];
  const output = [];
  if (message.content) output.push(messageItem(`msg_mock_${n}`, message.content));
  for (const call of message.tool_calls ?? []) output.push(callItem({ id: call.id, ...call.function }));
  return responseObject(`resp_mock_${n}`, body, { output, usage: usageOf(chat.usage) });
}

// A chat stream's chunks as the Responses API's events.
function eventsFromChat(chatEvents, body, n) {
  const chunks = chatEvents.map(eventData).filter((data) => data.startsWith('{')).map((data) => JSON.parse(data));
  let text = null;
  const textDeltas = [];
  const calls = [];
  let usage = null;
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    const delta = chunk.choices?.[0]?.delta ?? {};
    if (typeof delta.content === 'string' && delta.content !== '') {
      text = (text ?? '') + delta.content;
      textDeltas.push(delta.content);
    }
    for (const call of delta.tool_calls ?? []) {
      if (call.id) calls[call.index] = { id: call.id, name: call.function.name, arguments: '', deltas: [] };
      const piece = call.function?.arguments ?? '';
      if (piece !== '') {
        calls[call.index].arguments += piece;
        calls[call.index].deltas.push(piece);
      }
    }
  }
  const id = `resp_mock_${n}`;
  const events = [];
  const emit = (type, fields) => {
    const data = { type, sequence_number: events.length, ...fields };
    events.push(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  emit('response.created', { response: responseObject(id, body, { status: 'in_progress' }) });
  emit('response.in_progress', { response: responseObject(id, body, { status: 'in_progress' }) });
  const output = [];
  if (text !== null) {
    const itemId = `msg_mock_${n}`;
    const index = output.length;
    emit('response.output_item.added', { output_index: index, item: messageItem(itemId, '', 'in_progress') });
    emit('response.content_part.added', { item_id: itemId, output_index: index, content_index: 0, part: { type: 'output_text', text: '', annotations: [] } });
    for (const delta of textDeltas) {
      emit('response.output_text.delta', { item_id: itemId, output_index: index, content_index: 0, delta, logprobs: [] });
    }
    emit('response.output_text.done', { item_id: itemId, output_index: index, content_index: 0, text, logprobs: [] });
    emit('response.content_part.done', { item_id: itemId, output_index: index, content_index: 0, part: { type: 'output_text', text, annotations: [] } });
    output.push(messageItem(itemId, text));
    emit('response.output_item.done', { output_index: index, item: output[index] });
  }
  for (const call of calls.filter(Boolean)) {
    const index = output.length;
    emit('response.output_item.added', { output_index: index, item: callItem(call, 'in_progress') });
    for (const delta of call.deltas) {
      emit('response.function_call_arguments.delta', { item_id: `fc_${call.id}`, output_index: index, delta });
    }
    emit('response.function_call_arguments.done', { item_id: `fc_${call.id}`, output_index: index, name: call.name, arguments: call.arguments });
    output.push(callItem(call));
    emit('response.output_item.done', { output_index: index, item: output[index] });
  }
  emit('response.completed', { response: responseObject(id, body, { output, usage: usageOf(usage) }) });
  return events;
}

export function responsesEvents(body, behaviour, n) {
  if (behaviour.kind === 'stream-slow') return eventsFromChat(slowStreamEvents(body.model, behaviour.events, true), body, n);
  const fixture = behaviour.kind === 'tool-call' ? 'chat_completion_stream_tool_calls.sse' : 'chat_completion_stream.sse';
  return eventsFromChat(fixtureStreamEvents(fixture, true), body, n);
}

// The scripts of this API only (see the header); null for the others.
export function responsesScript(body, n) {
  const upstreamModel = String(body.model).replace(/@.*$/, '');
  const failure = { code: 'server_error', message: 'mock responses: the model failed to answer' };
  if (upstreamModel === 'mock-responses-error-event' && body.stream === true) {
    const [created] = responsesEvents(body, { kind: 'plain' }, n);
    const error = { type: 'error', sequence_number: 1, ...failure, param: null };
    return { events: [created, `event: error\ndata: ${JSON.stringify(error)}\n\n`] };
  }
  if (upstreamModel === 'mock-responses-failed') {
    if (body.stream !== true) return { json: responseObject(`resp_mock_${n}`, body, { status: 'failed', error: failure }) };
    const [created] = responsesEvents(body, { kind: 'plain' }, n);
    const failed = { type: 'response.failed', sequence_number: 1, response: responseObject(`resp_mock_${n}`, body, { status: 'failed', error: failure }) };
    return { events: [created, `event: response.failed\ndata: ${JSON.stringify(failed)}\n\n`] };
  }
  return null;
}
