// The allow-list: networks in CIDR notation, checked for every accepted connection.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
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

}  // namespace vx::modbus
