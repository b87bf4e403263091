// A client's request body as the model routes read it: parse_request for every endpoint (with
// and without a model named by the path), then what the gateway reads from a parsed request
// (client-side routing fields, the prompt's token estimate, the embeddings encoding asked for).
// Checks: an accepted body is a JSON object whose text is the input, streams only where they are
// allowed, and a refusal is a 400 with a message.
#include "api/request.hpp"
#include "api/embeddings.hpp"
#include "api/token_estimate.hpp"
#include "support.hpp"

using llmux::fuzz::check;
namespace api = llmux::api;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  constexpr api::Endpoint kEndpoints[] = {api::Endpoint::chat_completions,
                                          api::Endpoint::completions, api::Endpoint::embeddings,
                                          api::Endpoint::moderations, api::Endpoint::rerank};
  for (const api::Endpoint endpoint : kEndpoints) {
    for (const std::string_view model_override : {std::string_view(), std::string_view("m")}) {
      const auto request = api::parse_request(endpoint, input, model_override);
      if (!request) {
        check(request.error().kind == llmux::ErrorKind::invalid_request, "refused, not with 400");
        check(!request.error().message.empty(), "refused without a message");
        continue;
      }
      check(request->text.data() == input.data() && request->text.size() == input.size(),
            "the request's text is not the body");
      check(!request->stream || endpoint == api::Endpoint::chat_completions ||
                endpoint == api::Endpoint::completions,
            "a stream on an endpoint that has none");
      if (!model_override.empty()) check(request->model == model_override, "path model ignored");
      for (const std::string_view field : api::client_side_routing_fields(*request))
        check(request->body.contains(field) || request->body.contains("metadata"),
              "a routing field the body does not have");
      check(api::estimate_prompt_tokens(*request) >= 0, "a negative token estimate");
      (void)api::wants_base64(*request);
    }
  }
  return 0;
}
