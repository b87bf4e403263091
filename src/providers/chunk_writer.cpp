#include "providers/chunk_writer.hpp"

#include "base/json_string.hpp"
#include "providers/json_fields.hpp"

namespace llmux::providers {

ChunkWriter::ChunkWriter(std::string_view id, std::int64_t created, std::string_view client_model,
                         std::string_view object) {
  head_ = "data: ";
  append_answer_head(head_, id, object, created, client_model);
  head_ += ",\"choices\":[";
}

void ChunkWriter::begin(std::string& out) const { out += head_; }

void ChunkWriter::open(std::string& out) const {
  out += head_;
  out += "{\"index\":0,\"delta\":";
}

void ChunkWriter::close(std::string& out, std::string_view finish_reason) {
  if (finish_reason.empty()) {
    out += ",\"finish_reason\":null}]}\n\n";
    return;
  }
  out += ",\"finish_reason\":\"";
  out += finish_reason;
  out += "\"}]}\n\n";
}

void ChunkWriter::write(std::string& out, std::string_view delta,
                        std::string_view finish_reason) const {
  open(out);
  out += delta;
  close(out, finish_reason);
}

void ChunkWriter::write_content(std::string& out, std::string_view text) const {
  open(out);
  out += "{\"content\":";
  append_json_string(out, text);
  out += '}';
  close(out);
}

void ChunkWriter::write_tool_arguments(std::string& out, std::int64_t index,
                                       std::string_view arguments) const {
  open(out);
  out += "{\"tool_calls\":[{\"index\":";
  append_number(out, index);
  out += ",\"function\":{\"arguments\":";
  append_json_string(out, arguments);
  out += "}}]}";
  close(out);
}

void ChunkWriter::write_usage(std::string& out, std::string_view usage) const {
  out += head_;
  out += "],\"usage\":";
  out += usage;
  out += "}\n\n";
}

}  // namespace llmux::providers
