#include "providers/usage_estimate.hpp"

#include "api/json_scan.hpp"
#include "api/token_estimate.hpp"
#include "base/json_string.hpp"

#include <string>

namespace llmux::providers {

namespace {

constexpr std::string_view kDoneFrame = "data: [DONE]\n\n";

api::Usage estimated_usage(const api::Request& request, std::int64_t completion_tokens) {
  api::Usage usage{.prompt_tokens = api::estimate_prompt_tokens(request),
                   .completion_tokens = completion_tokens,
                   .estimated = true};
  usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
  return usage;
}

std::string usage_object(const api::Usage& usage) {
  return "{\"prompt_tokens\":" + std::to_string(usage.prompt_tokens) +
         ",\"completion_tokens\":" + std::to_string(usage.completion_tokens) +
         ",\"total_tokens\":" + std::to_string(usage.total_tokens) + "}";
}

class EstimatingDecoder final : public StreamDecoder {
 public:
  EstimatingDecoder(std::unique_ptr<StreamDecoder> inner, const api::Request& request,
                    std::string_view client_model)
      : inner_(std::move(inner)), request_(request), client_model_(client_model) {}

  Result<void> feed(std::string_view bytes, std::string& out) override {
    const std::size_t before = out.size();
    auto result = inner_->feed(bytes, out);
    observe(out, before);
    return result;
  }

  Result<void> finish(std::string& out) override {
    const std::size_t before = out.size();
    auto result = inner_->finish(out);
    observe(out, before);
    return result;
  }

  bool done() const override { return inner_->done(); }

  const api::Usage& usage() const override {
    if (inner_->usage().reported) return inner_->usage();
    usage_ = estimated_usage(request_, counter_.count());
    return usage_;
  }

 private:
  // Counts the new frames in out[before…]; at the stream's end without a reported usage, adds
  // the usage chunk the client asked for ahead of [DONE].
  void observe(std::string& out, std::size_t before) {
    const std::string_view added = std::string_view(out).substr(before);
    if (added.empty()) return;
    if (id_.empty()) remember_id(added);
    counter_.add_frames(added);
    if (!request_.include_usage || !inner_->done() || inner_->usage().reported ||
        !added.ends_with(kDoneFrame))
      return;
    std::string chunk = usage_chunk(estimated_usage(request_, counter_.count()));
    out.insert(out.size() - kDoneFrame.size(), chunk);
  }

  // The stream's id and created time, from its first chunk, so the usage chunk matches them.
  void remember_id(std::string_view frames) {
    const auto start = frames.find('{');
    const auto end = frames.find("\n\n");
    if (start == std::string_view::npos || end == std::string_view::npos || start > end) return;
    const std::string_view chunk = frames.substr(start, end - start);
    api::for_each_member(chunk, api::Span{0, chunk.size()},
                         [&](std::string_view key, api::Span value) {
                           if (key == "id")
                             id_ = value.in(chunk);
                           else if (key == "created")
                             created_ = value.in(chunk);
                         });
  }

  std::string usage_chunk(const api::Usage& usage) const {
    std::string chunk = "data: {\"id\":";
    chunk += id_.empty() ? std::string("\"chatcmpl-llmux\"") : id_;
    chunk += ",\"object\":";
    chunk += request_.endpoint == api::Endpoint::completions ? "\"text_completion\""
                                                             : "\"chat.completion.chunk\"";
    if (!created_.empty()) chunk.append(",\"created\":").append(created_);
    chunk += ",\"model\":";
    append_json_string(chunk, client_model_);
    chunk += ",\"choices\":[],\"usage\":" + usage_object(usage) + "}\n\n";
    return chunk;
  }

  std::unique_ptr<StreamDecoder> inner_;
  const api::Request& request_;
  std::string client_model_;
  api::CompletionTokenCounter counter_;
  std::string id_;       // as written: a JSON string
  std::string created_;  // as written: a number
  mutable api::Usage usage_;
};

}  // namespace

std::unique_ptr<StreamDecoder> with_estimated_usage(std::unique_ptr<StreamDecoder> inner,
                                                    const api::Request& request,
                                                    std::string_view client_model) {
  return std::make_unique<EstimatingDecoder>(std::move(inner), request, client_model);
}

void estimate_missing_usage(Reply& reply, const api::Request& request) {
  if (reply.usage.reported) return;
  api::CompletionTokenCounter counter;
  counter.add_frames(reply.body);
  reply.usage = estimated_usage(request, counter.count());
  // The client expects `usage` in the body (moderations and rerank have none): add it as the last
  // member.
  if (request.endpoint == api::Endpoint::moderations || request.endpoint == api::Endpoint::rerank)
    return;
  const std::size_t last = reply.body.find_last_not_of(" \t\r\n");
  if (last == std::string::npos || reply.body[last] != '}') return;
  const std::size_t before_last = reply.body.find_last_not_of(" \t\r\n", last - 1);
  const bool empty_object = before_last != std::string::npos && reply.body[before_last] == '{';
  reply.body.insert(last,
                    (empty_object ? "\"usage\":" : ",\"usage\":") + usage_object(reply.usage));
}

}  // namespace llmux::providers
