// Every wire dialect the mock speaks, tried in order; each is { name, route(method, url) → route
// or null, respond(exchange, { route, url, headers, body }) }. A dialect scripts its behaviour
// from the upstream model name (behaviours.mjs) and answers through answer.mjs.
import { bedrock } from './bedrock.mjs';
import { openai } from './openai.mjs';
import { anthropic } from './anthropic.mjs';
import { azure } from './azure.mjs';
import { gemini } from './gemini.mjs';
import { ollama } from './ollama.mjs';
import { googleOAuth } from './google_oauth.mjs';
import { vertex } from './vertex.mjs';
import { cohere } from './cohere.mjs';

export const kDialects = [openai, anthropic, azure, bedrock, gemini, ollama, googleOAuth, vertex, cohere];
