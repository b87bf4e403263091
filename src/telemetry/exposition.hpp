// Pieces of the Prometheus text exposition shared by the gateway's own families (metrics.cpp) and
// LiteLLM's (litellm_metrics.cpp).
#pragma once

#include <string>
#include <string_view>

namespace llmux::telemetry {

// "# HELP <name> <help>" and "# TYPE <name> <type>", each on its line.
inline void append_family_head(std::string& out, std::string_view name, std::string_view type,
                               std::string_view help) {
  out += "# HELP ";
  out += name;
  out += ' ';
  out += help;
  out += "\n# TYPE ";
  out += name;
  out += ' ';
  out += type;
  out += '\n';
}

// A label value, between its quotes: '\' and '"' escaped; control and non-ASCII bytes become
// '?', so that a value from a request or a config cannot break the exposition or its UTF-8.
inline void append_label_value(std::string& out, std::string_view value) {
  for (const char c : value) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '\\' || c == '"') out += '\\';
    out += byte < 0x20 || byte >= 0x7f ? '?' : c;
  }
}

}  // namespace llmux::telemetry
