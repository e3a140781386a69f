#include "vxbridge/modbus/cidr.hpp"

#include <stdexcept>

namespace vx::modbus {

namespace ip = boost::asio::ip;

bool parse_cidr(const std::string& text, cidr& out) {
    boost::system::error_code ec;
    const auto slash = text.find('/');
    const auto addr = ip::make_address(text.substr(0, slash), ec);
    if (ec) return false;
    if (addr.is_v4()) {
        const auto net = slash == std::string::npos ? ip::make_network_v4(text + "/32", ec)
                                                    : ip::make_network_v4(text, ec);
        if (ec) return false;
        out.v4.push_back(net.canonical());
    } else {
        const auto net = slash == std::string::npos ? ip::make_network_v6(text + "/128", ec)
                                                    : ip::make_network_v6(text, ec);
        if (ec) return false;
        out.v6.push_back(net.canonical());
    }
    return true;
}

bool cidr::allows(const ip::address& a) const {
    if (v4.empty() && v6.empty()) return true;
    if (a.is_v6() && a.to_v6().is_v4_mapped())
        return allows(ip::make_address_v4(ip::v4_mapped, a.to_v6()));
    if (a.is_v4()) {
        const auto host = ip::network_v4(a.to_v4(), 32);
        for (const auto& n : v4)
            if (host.is_subnet_of(n) || host == n) return true;
    } else {
        const auto host = ip::network_v6(a.to_v6(), 128);
        for (const auto& n : v6)
            if (host.is_subnet_of(n) || host == n) return true;
    }
    return false;
}

ip::tcp::endpoint parse_endpoint(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos)
        throw std::runtime_error("listen address '" + text + "' needs :port");
    std::string host = text.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    boost::system::error_code ec;
    const auto addr =
        host.empty() ? ip::address(ip::address_v4::any()) : ip::make_address(host, ec);
    if (ec) throw std::runtime_error("listen address '" + text + "': bad host");
    const auto port = std::stoul(text.substr(colon + 1));
    if (port > 65535) throw std::runtime_error("listen address '" + text + "': bad port");
    return {addr, static_cast<unsigned short>(port)};
}

}  // namespace vx::modbus
