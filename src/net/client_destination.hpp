// Where the gateway may be sent when a client chooses the URL (its api_base / base_url, or the
// model_list of its user_config): to public unicast addresses only, unless the operator lists the
// host name, address or range in general_settings.allowed_client_api_base_hosts. upstream/ checks
// every address it is about to dial (after resolving the name), so a name that resolves, or
// rebinds, to an internal address is refused too. The operator's own api_base values are never
// checked: operators run local models.
#pragma once

#include "base/error.hpp"

#include <boost/asio/ip/address.hpp>

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace llmux::net {

// Why a client may not send the gateway to `address` without the operator's say-so: "loopback",
// "private", "link-local", "cloud metadata", "multicast", "unspecified" or "reserved"; nullopt for
// a public unicast address. An IPv4 address carried in IPv6 (mapped ::ffff:0:0/96, NAT64
// 64:ff9b::/96, 6to4 2002::/16) is judged as that IPv4 address.
std::optional<std::string_view> special_address_kind(const boost::asio::ip::address& address);

// A URL upstream::Client can dial: an absolute URI (so no CR, LF, space or other byte a URI cannot
// hold), scheme "http" or "https", and a host that is a name, an IPv4 or an IPv6 address.
bool is_http_url(std::string_view url);

class DestinationPolicy {
 public:
  // Nothing listed: public addresses only.
  DestinationPolicy() = default;

  // One entry of allowed_client_api_base_hosts: a host name ("llm.internal"), an IP address
  // ("10.0.0.5", "::1", "[::1]") or a CIDR range ("10.0.0.0/8", "fd00::/8"). The error says why an
  // entry is none of these.
  Result<void> allow(std::string_view entry);

  // Whether a client's URL whose host is `host` may be dialled at `address`: the host is a listed
  // name, or the address is in a listed range, or it is a public address.
  bool permits(std::string_view host, const boost::asio::ip::address& address) const;

 private:
  struct Range {
    std::array<unsigned char, 16> bytes{};  // IPv4 as IPv4-mapped IPv6
    unsigned prefix = 0;                    // in bits of `bytes`
  };
  std::vector<std::string> names_;  // lower case, without a final '.'
  std::vector<Range> ranges_;
};

// One attempt's destination when the client chose it: the policy to dial by, and the request
// field that chose it ("api_base", "base_url" or "user_config") for the refusal. A null policy is
// the operator's own destination, dialled as configured.
struct ClientDestination {
  const DestinationPolicy* policy = nullptr;
  std::string_view field;
  explicit operator bool() const { return policy != nullptr; }
};

// The 400 for a client-chosen destination the policy refuses; nothing was sent to it.
Error destination_refused(std::string_view field);

}  // namespace llmux::net
