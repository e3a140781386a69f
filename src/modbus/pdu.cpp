#include "vxbridge/modbus/pdu.hpp"

namespace vx::modbus {

namespace {

std::uint16_t be16(std::span<const std::uint8_t> p, std::size_t i) {
    return static_cast<std::uint16_t>((p[i] << 8) | p[i + 1]);
}

void put16(std::vector<std::uint8_t>& out, std::uint16_t v) {
    out.push_back(static_cast<std::uint8_t>(v >> 8));
    out.push_back(static_cast<std::uint8_t>(v & 0xFF));
}

// Registers from `count` big-endian words at p[i].
void take_words(std::span<const std::uint8_t> p, std::size_t i, std::size_t count,
                std::vector<std::uint16_t>& out) {
    out.resize(count);
    for (std::size_t k = 0; k < count; ++k) out[k] = be16(p, i + 2 * k);
}

decode_status decode_read(std::span<const std::uint8_t> p, request& r, unsigned max) {
    if (p.size() != 5) return decode_status::illegal_value;
    r.address = be16(p, 1);
    r.quantity = be16(p, 3);
    if (r.quantity < 1 || r.quantity > max) return decode_status::illegal_value;
    return decode_status::ok;
}

decode_status decode_write_coils(std::span<const std::uint8_t> p, request& r) {
    if (p.size() < 6) return decode_status::illegal_value;
    r.write_address = be16(p, 1);
    r.write_quantity = be16(p, 3);
    const std::size_t bytes = p[5];
    if (r.write_quantity < 1 || r.write_quantity > 0x7B0 || bytes != (r.write_quantity + 7u) / 8 ||
        p.size() != 6 + bytes)
        return decode_status::illegal_value;
    r.values.resize(r.write_quantity);
    for (std::size_t k = 0; k < r.write_quantity; ++k) r.values[k] = (p[6 + k / 8] >> (k % 8)) & 1u;
    return decode_status::ok;
}

decode_status decode_write_registers(std::span<const std::uint8_t> p, request& r) {
    if (p.size() < 6) return decode_status::illegal_value;
    r.write_address = be16(p, 1);
    r.write_quantity = be16(p, 3);
    const std::size_t bytes = p[5];
    if (r.write_quantity < 1 || r.write_quantity > 123 || bytes != 2u * r.write_quantity ||
        p.size() != 6 + bytes)
        return decode_status::illegal_value;
    take_words(p, 6, r.write_quantity, r.values);
    return decode_status::ok;
}

decode_status decode_read_write(std::span<const std::uint8_t> p, request& r) {
    if (p.size() < 10) return decode_status::illegal_value;
    r.address = be16(p, 1);
    r.quantity = be16(p, 3);
    r.write_address = be16(p, 5);
    r.write_quantity = be16(p, 7);
    const std::size_t bytes = p[9];
    if (r.quantity < 1 || r.quantity > 125 || r.write_quantity < 1 || r.write_quantity > 121 ||
        bytes != 2u * r.write_quantity || p.size() != 10 + bytes)
        return decode_status::illegal_value;
    take_words(p, 10, r.write_quantity, r.values);
    return decode_status::ok;
}

}  // namespace

bool request::is_write() const {
    return function == fc::write_coil || function == fc::write_register ||
           function == fc::write_coils || function == fc::write_registers ||
           function == fc::read_write;
}

decode_status decode_request(std::span<const std::uint8_t> p, request& r) {
    if (p.empty()) return decode_status::illegal_function;
    r.function = p[0];
    r.values.clear();
    switch (r.function) {
        case fc::read_coils:
        case fc::read_discrete_inputs:
            return decode_read(p, r, 2000);
        case fc::read_holding:
        case fc::read_input:
            return decode_read(p, r, 125);
        case fc::write_coil:
        case fc::write_register: {
            if (p.size() != 5) return decode_status::illegal_value;
            r.write_address = be16(p, 1);
            r.write_quantity = 1;
            const auto v = be16(p, 3);
            if (r.function == fc::write_coil) {
                if (v != 0xFF00 && v != 0x0000) return decode_status::illegal_value;
                r.values.assign(1, v ? 1 : 0);
            } else {
                r.values.assign(1, v);
            }
            return decode_status::ok;
        }
        case fc::write_coils:
            return decode_write_coils(p, r);
        case fc::write_registers:
            return decode_write_registers(p, r);
        case fc::read_write:
            return decode_read_write(p, r);
        case fc::encapsulated:
            if (p.size() < 2 || p[1] != fc::mei_device_id) return decode_status::illegal_function;
            if (p.size() != 4 || p[2] < 1 || p[2] > 4) return decode_status::illegal_value;
            r.device_id_code = p[2];
            r.object_id = p[3];
            return decode_status::ok;
        default:
            return decode_status::illegal_function;
    }
}

void put_exception(std::vector<std::uint8_t>& out, std::uint8_t function, exception_code code) {
    out.push_back(static_cast<std::uint8_t>(function | 0x80));
    out.push_back(static_cast<std::uint8_t>(code));
}

void put_registers(std::vector<std::uint8_t>& out, std::uint8_t function,
                   std::span<const std::uint16_t> regs) {
    const auto start = out.size();
    out.resize(start + 2 + 2 * regs.size());
    std::uint8_t* p = out.data() + start;
    *p++ = function;
    *p++ = static_cast<std::uint8_t>(2 * regs.size());
    for (auto v : regs) {
        *p++ = static_cast<std::uint8_t>(v >> 8);
        *p++ = static_cast<std::uint8_t>(v & 0xFF);
    }
}

void put_bits(std::vector<std::uint8_t>& out, std::uint8_t function,
              std::span<const std::uint8_t> bits) {
    out.push_back(function);
    const auto bytes = (bits.size() + 7) / 8;
    out.push_back(static_cast<std::uint8_t>(bytes));
    const auto start = out.size();
    out.resize(start + bytes, 0);
    for (std::size_t k = 0; k < bits.size(); ++k)
        if (bits[k]) out[start + k / 8] |= static_cast<std::uint8_t>(1u << (k % 8));
}

void put_write_echo(std::vector<std::uint8_t>& out, const request& r) {
    out.push_back(r.function);
    put16(out, r.write_address);
    switch (r.function) {
        case fc::write_coil:
            put16(out, r.values[0] ? 0xFF00 : 0x0000);
            break;
        case fc::write_register:
            put16(out, r.values[0]);
            break;
        default:
            put16(out, r.write_quantity);
            break;
    }
}

}  // namespace vx::modbus
