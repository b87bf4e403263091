// RFC 3986 percent-encoding, the one form every URL, form body and signature here needs: each
// byte but the unreserved characters (ALPHA DIGIT - . _ ~) as %XX in upper-case hex; and its
// reverse, for the parts of a request path that clients send encoded.
#pragma once

#include <string>
#include <string_view>

namespace llmux::net {

// Appends `text` encoded; '/' is kept when `keep_slash` (a path rather than one segment).
void append_percent_encoded(std::string& out, std::string_view text, bool keep_slash = false);

std::string percent_encoded(std::string_view text, bool keep_slash = false);

// `text` with each %XX (either hex case) replaced by its byte. A '%' not followed by two hex
// digits is kept as it is, and '+' stays '+' (a path, not a form body).
std::string percent_decoded(std::string_view text);

}  // namespace llmux::net
