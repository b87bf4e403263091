// What the provider conformance suite expects from a dialect's recorded fixtures, shared by every
// deployment kind that speaks it (Anthropic's API and Claude on Vertex; AI Studio's and Vertex's
// Gemini; OpenAI's and Azure's tool calls): the same upstream bytes must come out the same.
import { embeddingFor, errorBody, readFixture, sseEvents } from '../mock_upstream/bodies.mjs';
import { readAnthropicFixture, anthropicError } from '../mock_upstream/dialects/anthropic.mjs';
import { readGeminiFixture, geminiStreamText } from '../mock_upstream/dialects/gemini.mjs';

// The counts the suite compares, from an OpenAI usage object.
export const openaiUsage = ({ prompt_tokens, completion_tokens, total_tokens }) => ({ prompt_tokens, completion_tokens, total_tokens });

// The OpenAI dialect's recorded tool-call answer and stream, which OpenAI and Azure both replay,
// and the mock's embeddings.
const toolCompletion = JSON.parse(readFixture('chat_completion_tool_calls.json'));

export const openaiToolAndEmbeddingExpectations = {
  toolCalls: toolCompletion.choices[0].message.tool_calls.map((call) => ({
    name: call.function.name, arguments: JSON.parse(call.function.arguments),
  })),
  streamToolCalls: [
    { name: 'GetWeatherArgs', arguments: { city: 'Edinburgh', country: 'GB', units: 'c' } },
    { name: 'get_stock_price', arguments: { ticker: 'AAPL', exchange: 'NASDAQ' } },
  ],
  embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
};

// Anthropic's input_tokens leaves out cache reads and writes; prompt_tokens counts them all.
const anthropicUsage = ({ input_tokens, output_tokens, cache_creation_input_tokens = 0, cache_read_input_tokens = 0 }) => {
  const prompt = input_tokens + cache_creation_input_tokens + cache_read_input_tokens;
  return { prompt_tokens: prompt, completion_tokens: output_tokens, total_tokens: prompt + output_tokens };
};

// The events of a recorded Anthropic stream, parsed from their data lines.
const anthropicStreamData = (name) => sseEvents(readAnthropicFixture(name))
  .map((event) => JSON.parse(event.split('\n').find((line) => line.startsWith('data: ')).slice(6)));

const message = JSON.parse(readAnthropicFixture('message.json'));
const toolMessage = JSON.parse(readAnthropicFixture('message_tool_use.synthetic.json'));
const textStream = anthropicStreamData('message_stream.sse');

export const anthropicExpectations = {
  text: message.content[0].text,
  finishReason: 'stop',
  usage: anthropicUsage(message.usage),
  streamText: textStream.filter((data) => data.delta?.type === 'text_delta').map((data) => data.delta.text).join(''),
  streamUsage: anthropicUsage(textStream.find((data) => data.type === 'message_delta').usage),
  toolCalls: toolMessage.content.filter((block) => block.type === 'tool_use')
    .map((block) => ({ name: block.name, arguments: block.input })),
  streamToolCalls: [{ name: 'get_weather', arguments: { location: 'Paris' } }],
  errorMessages: {
    429: JSON.parse(anthropicError(429).body).error.message,
    500: anthropicError(500).body.error.message,
  },
};

const answer = JSON.parse(readGeminiFixture('generate_content.json'));

export const geminiExpectations = {
  text: answer.candidates[0].content.parts[0].text,
  finishReason: 'stop',
  // Thinking tokens count as completion tokens: 2 visible + 17 thoughts.
  usage: { prompt_tokens: 3, completion_tokens: 19, total_tokens: 22 },
  streamText: geminiStreamText('stream_generate_content.sse'),
  streamUsage: { prompt_tokens: 138, completion_tokens: 15, total_tokens: 153 },
  toolCalls: [{ name: 'getWeather', arguments: { location: 'Tokyo' } }],
  embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
  errorMessages: { 429: errorBody(429).error.message, 500: errorBody(500).error.message },
};
