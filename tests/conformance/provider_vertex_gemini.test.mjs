// The provider conformance suite against Gemini on Vertex AI: the same SDK calls as for an OpenAI
// deployment, sent to Vertex's generateContent URLs with an OAuth token that llmux obtained from
// the mock token endpoint with a service-account JWT, answered from the recorded Gemini fixtures.
import { before } from 'node:test';

import { providerConformance } from './provider_suite.mjs';
import { embeddingFor, errorBody } from '../mock_upstream/bodies.mjs';
import { readGeminiFixture, geminiStreamText } from '../mock_upstream/dialects/gemini.mjs';
import { makeServiceAccount } from '../support/google_service_account.mjs';
import { vertexParams, waitForIssuedTokens } from '../support/vertex.mjs';

const answer = JSON.parse(readGeminiFixture('generate_content.json'));

providerConformance({
  provider: 'vertex-gemini',
  dialect: 'vertex',
  deployments: (mockUrl) => {
    const account = makeServiceAccount({ tokenUri: `${mockUrl}/token` });
    const params = (model) => vertexParams(mockUrl, account, model);
    return {
      chat: params('gemini-2.5-flash'),
      tools: params('mock-tool-call'),
      rateLimited: params('mock-error-429'),
      broken: params('mock-error-500'),
      cutStream: params('mock-stream-cut-after-3'),
      embedder: params('text-embedding-005'),
    };
  },
  expect: {
    text: answer.candidates[0].content.parts[0].text,
    finishReason: 'stop',
    usage: { prompt_tokens: 3, completion_tokens: 19, total_tokens: 22 },
    streamText: geminiStreamText('stream_generate_content.sse'),
    streamUsage: { prompt_tokens: 138, completion_tokens: 15, total_tokens: 153 },
    toolCalls: [{ name: 'getWeather', arguments: { location: 'Tokyo' } }],
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: errorBody(429).error.message, 500: errorBody(500).error.message },
  },
});

// Registered after the suite's own set-up, so it runs once the gateway is up: every deployment
// shares the one service account, so one token serves them all.
before(() => waitForIssuedTokens(1));
