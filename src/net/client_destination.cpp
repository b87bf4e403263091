#include "net/client_destination.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <charconv>

namespace llmux::net {

namespace {

namespace ip = boost::asio::ip;
using Bytes = std::array<unsigned char, 16>;

// Every address as 16 bytes, IPv4 as IPv4-mapped IPv6, so one prefix test serves both families.
Bytes bytes_of(const ip::address& address) {
  if (address.is_v4()) return ip::make_address_v6(ip::v4_mapped, address.to_v4()).to_bytes();
  return address.to_v6().to_bytes();
}

bool has_prefix(const Bytes& address, const Bytes& network, unsigned prefix) {
  const unsigned whole = prefix / 8;
  if (!std::equal(address.begin(), address.begin() + whole, network.begin())) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xff << (8 - rest));
  return (address[whole] & mask) == (network[whole] & mask);
}

struct SpecialRange {
  Bytes network;
  unsigned prefix;  // in bits of the 16 bytes
  std::string_view kind;
};

SpecialRange v4_range(std::string_view network, unsigned prefix, std::string_view kind) {
  return {bytes_of(ip::make_address_v4(network)), 96 + prefix, kind};
}

SpecialRange v6_range(std::string_view network, unsigned prefix, std::string_view kind) {
  return {ip::make_address_v6(network).to_bytes(), prefix, kind};
}

// Narrow ranges before the wider ones that hold them: the first match names the kind.
const std::vector<SpecialRange>& special_ranges() {
  static const std::vector<SpecialRange> ranges = {
      // Cloud instance metadata and platform endpoints (AWS, ECS, Alibaba, Azure, Oracle, AWS
      // IPv6).
      v4_range("169.254.169.254", 32, "cloud metadata"),
      v4_range("169.254.170.2", 32, "cloud metadata"),
      v4_range("100.100.100.200", 32, "cloud metadata"),
      v4_range("168.63.129.16", 32, "cloud metadata"),
      v4_range("192.0.0.192", 32, "cloud metadata"),
      v6_range("fd00:ec2::254", 128, "cloud metadata"),
      // IPv4 special-purpose registry (RFC 6890 and successors).
      v4_range("0.0.0.0", 8, "unspecified"),
      v4_range("10.0.0.0", 8, "private"),
      v4_range("100.64.0.0", 10, "private"),  // carrier-grade NAT, shared address space
      v4_range("127.0.0.0", 8, "loopback"),
      v4_range("169.254.0.0", 16, "link-local"),
      v4_range("172.16.0.0", 12, "private"),
      v4_range("192.0.0.0", 24, "reserved"),
      v4_range("192.0.2.0", 24, "reserved"),
      v4_range("192.88.99.0", 24, "reserved"),
      v4_range("192.168.0.0", 16, "private"),
      v4_range("198.18.0.0", 15, "reserved"),
      v4_range("198.51.100.0", 24, "reserved"),
      v4_range("203.0.113.0", 24, "reserved"),
      v4_range("224.0.0.0", 4, "multicast"),
      v4_range("240.0.0.0", 4, "reserved"),  // and the broadcast address
      // IPv6 special-purpose registry.
      v6_range("::", 128, "unspecified"),
      v6_range("::1", 128, "loopback"),
      v6_range("::", 96, "reserved"),          // IPv4-compatible addresses
      v6_range("64:ff9b:1::", 48, "private"),  // local-use NAT64
      v6_range("100::", 64, "reserved"),
      v6_range("2001::", 23, "reserved"),  // IETF protocol assignments, Teredo among them
      v6_range("2001:db8::", 32, "reserved"),
      v6_range("fc00::", 7, "private"),
      v6_range("fe80::", 10, "link-local"),
      v6_range("fec0::", 10, "private"),  // site-local, deprecated
      v6_range("ff00::", 8, "multicast"),
  };
  return ranges;
}

// The IPv4 address an IPv6 one carries where a host or a translator would deliver it to IPv4.
std::optional<ip::address_v4> embedded_v4(const ip::address_v6& address) {
  const Bytes bytes = address.to_bytes();
  const auto v4_at = [&](std::size_t at) {
    return ip::address_v4(
        ip::address_v4::bytes_type{bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]});
  };
  if (address.is_v4_mapped()) return v4_at(12);
  static const Bytes nat64 = ip::make_address_v6("64:ff9b::").to_bytes();
  static const Bytes six_to_four = ip::make_address_v6("2002::").to_bytes();
  if (has_prefix(bytes, nat64, 96)) return v4_at(12);
  if (has_prefix(bytes, six_to_four, 16)) return v4_at(2);
  return std::nullopt;
}

std::string lower_case(std::string_view text) {
  std::string lower(text);
  std::ranges::transform(lower, lower.begin(),
                         [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return lower;
}

// Host names compare without case and without a final dot ("LocalHost." is "localhost").
std::string normalized_name(std::string_view host) {
  if (host.ends_with('.')) host.remove_suffix(1);
  return lower_case(host);
}

bool is_host_name(std::string_view name) {
  return !name.empty() && std::ranges::all_of(name, [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_';
  });
}

std::optional<ip::address> address_from(std::string_view text) {
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  boost::system::error_code ec;
  const auto address = ip::make_address(text, ec);
  if (ec) return std::nullopt;
  return address;
}

}  // namespace

std::optional<std::string_view> special_address_kind(const ip::address& address) {
  if (address.is_v6()) {
    if (const auto v4 = embedded_v4(address.to_v6())) return special_address_kind(ip::address(*v4));
  }
  const Bytes bytes = bytes_of(address);
  for (const auto& range : special_ranges()) {
    if (has_prefix(bytes, range.network, range.prefix)) return range.kind;
  }
  // Only 2000::/3 holds global unicast IPv6 addresses.
  if (address.is_v6() && (bytes[0] & 0xe0) != 0x20) return "reserved";
  return std::nullopt;
}

bool is_http_url(std::string_view url) {
  const auto parsed = boost::urls::parse_uri(url);
  if (!parsed || (parsed->scheme() != "http" && parsed->scheme() != "https")) return false;
  const auto type = parsed->host_type();
  return (type == boost::urls::host_type::name || type == boost::urls::host_type::ipv4 ||
          type == boost::urls::host_type::ipv6) &&
         !parsed->host_address().empty();
}

Result<void> DestinationPolicy::allow(std::string_view entry) {
  const auto bad = [&] {
    return make_error(
        ErrorKind::invalid_request,
        "'" + std::string(entry) + "' is not a host name, an IP address or a CIDR range");
  };
  if (const auto slash = entry.find('/'); slash != std::string_view::npos) {
    const auto network = address_from(entry.substr(0, slash));
    const std::string_view length = entry.substr(slash + 1);
    unsigned prefix = 0;
    const auto [end, ec] = std::from_chars(length.data(), length.data() + length.size(), prefix);
    if (!network || length.empty() || ec != std::errc() || end != length.data() + length.size() ||
        prefix > (network->is_v4() ? 32u : 128u)) {
      return bad();
    }
    ranges_.push_back({bytes_of(*network), network->is_v4() ? 96 + prefix : prefix});
    return {};
  }
  if (const auto address = address_from(entry)) {
    ranges_.push_back({bytes_of(*address), 128});
    return {};
  }
  std::string name = normalized_name(entry);
  if (!is_host_name(name)) return bad();
  names_.push_back(std::move(name));
  return {};
}

bool DestinationPolicy::permits(std::string_view host, const ip::address& address) const {
  if (std::ranges::find(names_, normalized_name(host)) != names_.end()) return true;
  // An IPv4-mapped address reaches the IPv4 one: a listed IPv4 range covers it (bytes_of maps
  // IPv4 the same way).
  const Bytes bytes = bytes_of(address);
  if (std::ranges::any_of(ranges_, [&](const Range& range) {
        return has_prefix(bytes, range.bytes, range.prefix);
      })) {
    return true;
  }
  return !special_address_kind(address);
}

Error destination_refused(std::string_view field) {
  return make_error(ErrorKind::invalid_request,
                    "The '" + std::string(field) +
                        "' given in the request is not allowed: llmux does not send a client's "
                        "call to a loopback, "
                        "private, link-local, multicast, reserved or cloud-metadata address unless "
                        "general_settings.allowed_client_api_base_hosts lists it.",
                    std::string(field), "destination_not_allowed");
}

}  // namespace llmux::net
