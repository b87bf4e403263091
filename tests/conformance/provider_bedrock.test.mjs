// The provider conformance suite against AWS Bedrock's Converse API: the mock checks every
// request's SigV4 signature, and answers with Converse JSON and event-stream frames.
import { providerConformance, scriptedDeployments } from './provider_suite.mjs';
import { embeddingFor } from '../mock_upstream/bodies.mjs';
import { bedrockError, kBedrockCredentials, kConverseText, kConverseToolUse } from '../mock_upstream/dialects/bedrock.mjs';

const usageOf = ({ inputTokens, outputTokens, totalTokens }) => ({ prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: totalTokens });

providerConformance({
  provider: 'bedrock',
  deployments: (mockUrl) => {
    const params = (model, credentials = kBedrockCredentials.long) => ({
      model: `bedrock/${model}`,
      aws_bedrock_runtime_endpoint: mockUrl,
      aws_region_name: 'us-east-1',
      aws_access_key_id: credentials.accessKeyId,
      aws_secret_access_key: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { aws_session_token: credentials.sessionToken } : {}),
    });
    return {
      // A cross-region inference profile id (its ':' is percent-encoded in the path), signed
      // with temporary credentials.
      chat: params('converse/us.anthropic.claude-3-5-haiku-20241022-v1:0', kBedrockCredentials.temporary),
      ...scriptedDeployments(params),
      embedder: params('cohere.embed-english-v3'),  // InvokeModel
    };
  },
  expect: {
    text: kConverseText.output.message.content[0].text,
    finishReason: 'stop',
    usage: usageOf(kConverseText.usage),
    streamText: 'Hello world',  // converse_stream_text.synthetic.eventstream
    streamUsage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
    toolCalls: kConverseToolUse.output.message.content.filter((block) => block.toolUse)
      .map(({ toolUse }) => ({ name: toolUse.name, arguments: toolUse.input })),
    embeddings: (inputs) => inputs.map((input) => embeddingFor(input)),
    errorMessages: { 429: bedrockError(429).body.message, 500: bedrockError(500).body.message },
  },
});
