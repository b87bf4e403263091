// The provider conformance suite against Gemini's own dialect (Google AI Studio): the openai SDK
// must see what it sees from OpenAI, translated from the recorded Gemini answers.
import { providerConformance } from './provider_suite.mjs';
import { embeddingFor, errorBody } from '../mock_upstream/bodies.mjs';
import { readGeminiFixture, geminiStreamText } from '../mock_upstream/dialects/gemini.mjs';
import { kUpstreamKey } from '../support/stack.mjs';

const answer = JSON.parse(readGeminiFixture('generate_content.json'));

providerConformance({
  provider: 'gemini',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `gemini/${model}`, api_base: mockUrl, api_key: kUpstreamKey });
    return {
      chat: params('gemini-2.5-flash'),
      tools: params('mock-tool-call'),
      rateLimited: params('mock-error-429'),
      broken: params('mock-error-500'),
      cutStream: params('mock-stream-cut-after-3'),
      embedder: params('text-embedding-004'),
    };
  },
  expect: {
    text: answer.candidates[0].content.parts[0].text,
    finishReason: 'stop',
    // Thinking tokens count as completion tokens: 2 visible + 17 thoughts.
    usage: { prompt_tokens: 3, completion_tokens: 19, total_tokens: 22 },
    streamText: geminiStreamText('stream_generate_content.sse'),
    streamUsage: { prompt_tokens: 138, completion_tokens: 15, total_tokens: 153 },
    toolCalls: [{ name: 'getWeather', arguments: { location: 'Tokyo' } }],
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: errorBody(429).error.message, 500: errorBody(500).error.message },
  },
});
