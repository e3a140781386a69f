// The allow-list: networks in CIDR notation, checked for every accepted connection; listen
// addresses.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <string>
#include <vector>

namespace vx::modbus {

struct cidr {
    std::vector<boost::asio::ip::network_v4> v4;
    std::vector<boost::asio::ip::network_v6> v6;
    bool allows(const boost::asio::ip::address& a) const;
};
// Adds "10.0.0.0/8", "::1/128" or a bare address to `out`; false on bad input.
bool parse_cidr(const std::string& text, cidr& out);

// "HOST:PORT" ("[::1]:502", ":502" = any address) as an endpoint to listen on; throws
// std::runtime_error (or std::invalid_argument for a port that is not a number) on bad input.
boost::asio::ip::tcp::endpoint parse_endpoint(const std::string& text);

}  // namespace vx::modbus
