// Every dialect's decoder of a whole upstream answer (Provider::decode) and of an upstream error
// (decode_error), for every kind of client request. Checks: a decoded answer is a JSON object
// (what the client receives must parse), and an error has a message.
#include "dialects.hpp"
#include "support.hpp"

namespace {

using llmux::fuzz::check;

const std::vector<const llmux::providers::Provider*> kDialects = llmux::fuzz::dialects();
const std::vector<llmux::api::Request> kRequests = llmux::fuzz::whole_answer_requests();

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input = llmux::fuzz::as_text(data, size);
  for (const llmux::providers::Provider* provider : kDialects) {
    for (const llmux::api::Request& request : kRequests) {
      const auto reply = provider->decode(request, input, "client-model");
      if (reply) check(llmux::fuzz::is_json_object(reply->body), "a decoded answer is not JSON");
    }
    for (const int status : {400, 401, 404, 429, 500, 503}) {
      const llmux::Error error = provider->decode_error(status, input);
      check(!error.message.empty(), "an upstream error without a message");
    }
  }
  return 0;
}
