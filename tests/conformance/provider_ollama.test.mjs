// The provider conformance suite against Ollama's native chat API (ollama_chat/ → /api/chat,
// NDJSON streams): clients must see what OpenAI would give them. The ollama/ prefix
// (/api/generate) is covered by integration/provider_ollama.test.mjs.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import { readOllamaFixture, ollamaStreamText, ollamaErrorBody } from '../mock_upstream/dialects/ollama.mjs';

const chat = JSON.parse(readOllamaFixture('chat.synthetic.json'));
const toolChat = JSON.parse(readOllamaFixture('chat_tool_calls.synthetic.json'));
const streamFinal = JSON.parse(readOllamaFixture('chat_stream.synthetic.ndjson').trim().split('\n').at(-1));

providerConformance({
  provider: 'ollama',
  deployments: (mockUrl) => {
    const params = (model) => ({ model: `ollama_chat/${model}`, api_base: mockUrl });
    return {
      chat: params('llama3.2'),
      ...scriptedDeployments(params),
      embedder: params('all-minilm'),
    };
  },
  expect: {
    text: chat.message.content,
    finishReason: 'stop',
    usage: {
      prompt_tokens: chat.prompt_eval_count,
      completion_tokens: chat.eval_count,
      total_tokens: chat.prompt_eval_count + chat.eval_count,
    },
    streamText: ollamaStreamText('chat_stream.synthetic.ndjson'),
    streamUsage: {
      prompt_tokens: streamFinal.prompt_eval_count,
      completion_tokens: streamFinal.eval_count,
      total_tokens: streamFinal.prompt_eval_count + streamFinal.eval_count,
    },
    toolCalls: toolChat.message.tool_calls.map((call) => ({ name: call.function.name, arguments: call.function.arguments })),
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: ollamaErrorBody(429).error, 500: ollamaErrorBody(500).error },
  },
});
