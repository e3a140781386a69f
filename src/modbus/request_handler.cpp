#include "vxbridge/modbus/request_handler.hpp"

#include <mutex>

#include "vxbridge/register_map/value_codec.hpp"

namespace vx::modbus {

namespace rm = register_map;

// The one place where an outcome becomes a Modbus exception code.
exception_code exception_for(core::outcome o) {
    using core::outcome;
    switch (o) {
        case outcome::unknown_function:
        case outcome::read_only_mode:
            return exception_code::illegal_function;
        case outcome::unmapped:
        case outcome::not_writable:
            return exception_code::illegal_address;
        case outcome::invalid:
            return exception_code::illegal_value;
        case outcome::refused:
        case outcome::ok:  // not an exception; never asked
            return exception_code::device_failure;
        case outcome::busy:
            return exception_code::busy;
        case outcome::offline:
        case outcome::setting_refused:
            return exception_code::gateway_path_unavailable;
        case outcome::unknown_unit:
        case outcome::timeout:
        case outcome::value_missing:
            return exception_code::gateway_target_failed;
    }
    return exception_code::device_failure;
}

namespace {

void fail(std::vector<std::uint8_t>& out, std::uint8_t function, core::outcome f) {
    put_exception(out, function, exception_for(f));
}

rm::table_kind read_table(std::uint8_t function) {
    switch (function) {
        case fc::read_coils:
            return rm::table_kind::coils;
        case fc::read_discrete_inputs:
            return rm::table_kind::discrete_inputs;
        case fc::read_input:
            return rm::table_kind::input;
        default:
            return rm::table_kind::holding;
    }
}

// Reads r.address/r.quantity into a response PDU, or puts the exception and says which.
std::optional<core::outcome> read_into(const unit& u, const request& r,
                                       std::vector<std::uint8_t>& out) {
    const auto table = read_table(r.function);
    const auto now = rm::clock::now();
    rm::read_status st;
    const std::size_t mark = out.size();
    if (table == rm::table_kind::coils || table == rm::table_kind::discrete_inputs) {
        std::uint8_t bits[2000];
        st = u.image->read_bits(table, r.address, std::span(bits, r.quantity), now);
        if (st == rm::read_status::ok) put_bits(out, r.function, std::span(bits, r.quantity));
    } else {
        std::uint16_t regs[125];
        st = u.image->read_registers(table, r.address, std::span(regs, r.quantity), now);
        if (st == rm::read_status::ok) put_registers(out, r.function, std::span(regs, r.quantity));
    }
    std::optional<core::outcome> f;
    if (st == rm::read_status::illegal_address)
        f = core::outcome::unmapped;
    else if (!u.online())
        f = core::outcome::offline;
    else if (st == rm::read_status::unavailable)
        f = core::outcome::value_missing;
    if (f) {
        out.resize(mark);
        fail(out, r.function, *f);
    }
    return f;
}

struct write_slice {
    rm::entry_ref ref;
    core::value value;
};

// Checks a write range against the map: whole values, writable entries, values in range.
// Pad registers inside the range are skipped, as a GX skips reserved words.
std::optional<core::outcome> plan_write(const unit& u, const request& r,
                                        std::vector<write_slice>& plan) {
    const bool bits = r.function == fc::write_coil || r.function == fc::write_coils;
    const auto table = bits ? rm::table_kind::coils : rm::table_kind::holding;
    const std::uint32_t end = std::uint32_t{r.write_address} + r.write_quantity;
    const bool merge = !bits && u.image->map().merge_partial_writes;
    for (std::uint32_t a = r.write_address; a < end;) {
        rm::entry_ref ref;
        const auto* e = u.image->entry_covering(table, a, &ref);
        if (!e) return core::outcome::unmapped;
        const bool partial = e->address != a || e->end() > end;
        if (partial && !merge) return core::outcome::unmapped;
        if (e->type != rm::value_type::pad) {
            if (e->access != rm::access_mode::rw) return core::outcome::not_writable;
            std::vector<std::uint16_t> words(e->width());
            if (partial) {
                // The words not written keep the value's current ones (as a GX merges an
                // FC6 to one half of an int32); an absent value counts as 0.
                if (u.image->read_registers(table, static_cast<std::uint16_t>(e->address), words,
                                            std::chrono::steady_clock::now()) !=
                    rm::read_status::ok)
                    std::fill(words.begin(), words.end(), 0);
            }
            const std::uint32_t from = std::max<std::uint32_t>(a, e->address);
            const std::uint32_t to = std::min<std::uint32_t>(end, e->end());
            for (auto w = from; w < to; ++w) words[w - e->address] = r.values[w - r.write_address];
            auto d = rm::decode_write(*e, words);
            if (d.error != rm::decode_error::none) return core::outcome::invalid;
            plan.push_back({ref, std::move(d.v)});
        }
        a = e->end();
    }
    if (plan.empty()) return core::outcome::not_writable;
    return std::nullopt;
}

// Sends the planned writes one after another; each waits for the device's answer.
class write_job final : public pending_write {
  public:
    write_job(std::shared_ptr<const unit_router> router, const unit& u, request r,
              std::vector<write_slice> plan)
        : state_(std::make_shared<state>(std::move(router), u, std::move(r), std::move(plan))) {}

    void start(completion done, std::chrono::steady_clock::time_point deadline) override {
        state_->done = std::move(done);
        state_->deadline = deadline;
        step(state_);
    }
    void abandon() override { state_->abandoned = true; }

  private:
    struct state {
        state(std::shared_ptr<const unit_router> rt, const unit& un, request rq,
              std::vector<write_slice> p)
            : router(std::move(rt)), u(un), r(std::move(rq)), plan(std::move(p)) {}
        std::shared_ptr<const unit_router> router;  // keeps `u` alive
        const unit& u;
        request r;
        std::vector<write_slice> plan;
        std::size_t next = 0;
        std::atomic<bool> abandoned{false};
        completion done;
        std::chrono::steady_clock::time_point deadline =
            std::chrono::steady_clock::time_point::max();
    };

    static void finish(const std::shared_ptr<state>& s, std::optional<core::outcome> f) {
        std::vector<std::uint8_t> out;
        if (f)
            fail(out, s->r.function, *f);
        else if (s->r.function == fc::read_write)
            read_into(s->u, s->r, out);
        else
            put_write_echo(out, s->r);
        auto done = std::move(s->done);
        done(std::move(out));
    }

    static void step(const std::shared_ptr<state>& s) {
        if (s->next == s->plan.size()) return finish(s, std::nullopt);
        if (s->abandoned) return;
        const auto& slice = s->plan[s->next++];
        const auto& point = s->u.point(slice.ref);
        point.writer->write(
            s->u.spec_of(slice.ref), slice.value,
            [s](core::write_result res) {
                if (res.status == core::outcome::ok)
                    step(s);
                else
                    finish(s, res.status);
            },
            s->deadline);
    }

    std::shared_ptr<state> state_;
};

// Records a confirmed write in the journal when the device answered, or when the caller gave up
// (0x0B: it answers that itself) - whichever comes first.
class journaled_write final : public pending_write {
  public:
    journaled_write(std::unique_ptr<pending_write> inner, std::shared_ptr<write_journal> journal,
                    write_record rec, std::chrono::steady_clock::time_point started)
        : inner_(std::move(inner)),
          state_(std::make_shared<state>(std::move(journal), std::move(rec), started)) {}

    void start(completion done, std::chrono::steady_clock::time_point deadline) override {
        inner_->start(
            [s = state_, done = std::move(done)](std::vector<std::uint8_t> pdu) {
                s->finish(pdu.size() > 1 && (pdu[0] & 0x80) ? pdu[1] : 0);
                done(std::move(pdu));
            },
            deadline);
    }
    void abandon() override {
        state_->finish(static_cast<std::uint8_t>(exception_code::gateway_target_failed));
        inner_->abandon();
    }

  private:
    struct state {
        state(std::shared_ptr<write_journal> j, write_record r,
              std::chrono::steady_clock::time_point t)
            : journal(std::move(j)), rec(std::move(r)), started(t) {}
        void finish(std::uint8_t exception) {
            if (recorded.exchange(true)) return;
            rec.exception = exception;
            rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
                std::chrono::steady_clock::now() - started);
            journal->record(std::move(rec));
        }
        std::shared_ptr<write_journal> journal;
        write_record rec;
        std::chrono::steady_clock::time_point started;
        std::atomic<bool> recorded{false};
    };
    std::unique_ptr<pending_write> inner_;
    std::shared_ptr<state> state_;
};

void put_object(std::vector<std::uint8_t>& out, std::uint8_t id, const std::string& text) {
    out.push_back(id);
    const auto n = std::min<std::size_t>(text.size(), 64);
    out.push_back(static_cast<std::uint8_t>(n));
    out.insert(out.end(), text.begin(), text.begin() + static_cast<std::ptrdiff_t>(n));
}

}  // namespace

request_handler::request_handler(std::shared_ptr<const unit_router> router, handler_options options)
    : router_(std::move(router)), options_(std::move(options)) {}

std::unique_ptr<pending_write> request_handler::handle(std::uint8_t unit_id,
                                                       std::span<const std::uint8_t> pdu,
                                                       std::vector<std::uint8_t>& out,
                                                       std::string_view client) const {
    const std::uint8_t function = pdu.empty() ? 0 : pdu[0];
    request r;
    const auto st = decode_request(pdu, r);
    if (!options_.journal || !r.is_write()) return serve(unit_id, pdu, r, st, out);
    // A write: recorded in the journal with the answer the client gets and its latency.
    const auto started = std::chrono::steady_clock::now();
    const auto mark = out.size();
    auto job = serve(unit_id, pdu, r, st, out);
    write_record rec;
    rec.at = std::chrono::system_clock::now();
    rec.client = client;
    rec.unit = unit_id;
    rec.function = function;
    rec.address = r.write_address;
    rec.values = r.values;
    if (job)
        return std::make_unique<journaled_write>(std::move(job), options_.journal, std::move(rec),
                                                 started);
    rec.exception = out.size() > mark + 1 && (out[mark] & 0x80) ? out[mark + 1] : 0;
    rec.latency = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
    options_.journal->record(std::move(rec));
    return nullptr;
}

std::unique_ptr<pending_write> request_handler::serve(std::uint8_t unit_id,
                                                      std::span<const std::uint8_t> pdu,
                                                      const request& r, decode_status st,
                                                      std::vector<std::uint8_t>& out) const {
    const std::uint8_t function = pdu.empty() ? 0 : pdu[0];
    if (st == decode_status::illegal_function) {
        fail(out, function, core::outcome::unknown_function);
        return nullptr;
    }
    const unit* u = router_->find(unit_id);
    if (!u) {
        fail(out, function, core::outcome::unknown_unit);
        return nullptr;
    }
    if (st == decode_status::illegal_value) {
        fail(out, function, core::outcome::invalid);
        return nullptr;
    }
    if (r.function == fc::encapsulated) {
        device_identification(*u, r, out);
        return nullptr;
    }
    if (r.is_write()) return write(*u, r, out);
    read_into(*u, r, out);
    return nullptr;
}

std::unique_ptr<pending_write> request_handler::write(const unit& u, request r,
                                                      std::vector<std::uint8_t>& out) const {
    if (options_.read_only) {
        fail(out, r.function, core::outcome::read_only_mode);
        return nullptr;
    }
    std::vector<write_slice> plan;
    auto f = plan_write(u, r, plan);
    if (!f && r.function == fc::read_write) {  // the read half must be valid before writing
        std::vector<std::uint8_t> probe;
        if (read_into(u, r, probe) == core::outcome::unmapped) f = core::outcome::unmapped;
    }
    for (const auto& slice : plan)
        if (!f && !u.point(slice.ref).writer) f = core::outcome::not_writable;
    if (!f && !u.online()) f = core::outcome::offline;
    if (f) {
        fail(out, r.function, *f);
        return nullptr;
    }
    return std::make_unique<write_job>(router_, u, std::move(r), std::move(plan));
}

void request_handler::device_identification(const unit& u, const request& r,
                                            std::vector<std::uint8_t>& out) const {
    const std::string model = u.image->map().name;
    const std::array<const std::string*, 6> objects = {&options_.id.vendor,  &model,
                                                       &options_.id.version, &options_.id.url,
                                                       &options_.id.product, &model};
    // Basic category = objects 0..2, regular = 0..5 (we have no extended objects).
    const std::uint8_t last = r.device_id_code == 1 ? 2 : 5;
    std::uint8_t first = r.object_id;
    if (r.device_id_code == 4) {
        if (first > 5) return fail(out, r.function, core::outcome::unmapped);
    } else if (first > last) {
        first = 0;  // spec: an unknown start object restarts at the category's first
    }
    out.insert(out.end(),
               {fc::encapsulated, fc::mei_device_id, r.device_id_code, 0x82, 0x00, 0x00});
    const auto count_at = out.size();
    out.push_back(0);
    const std::uint8_t stop = r.device_id_code == 4 ? first : last;
    for (std::uint8_t id = first; id <= stop; ++id) {
        put_object(out, id, *objects[id]);
        ++out[count_at];
    }
}

}  // namespace vx::modbus
