#include "vxbridge/devices/modbus_client/client_bus.hpp"

#include <modbus.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <thread>

namespace vx::devices::modbus_client {

struct client_bus::state {
    transport::link_options link;
    std::string name;
    mutable std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::pair<bus_request, done_fn>> queue;
    bool stop = false;
    std::thread worker;
    modbus_t* ctx = nullptr;  // the worker's only

    void run();
    bus_reply execute(const bus_request& r);
    bool open(bus_reply& rep);
    void close() {
        if (!ctx) return;
        modbus_close(ctx);
        modbus_free(ctx);
        ctx = nullptr;
    }
};

namespace {

std::string key_of(const transport::link_options& link) {
    if (const auto* s = std::get_if<transport::serial_options>(&link)) return "serial:" + s->port;
    if (const auto* t = std::get_if<transport::tcp_client_options>(&link))
        return "tcp:" + t->connect;
    return "?";
}

std::mutex registry_mutex;
std::map<std::string, std::weak_ptr<client_bus>>& registry() {
    static std::map<std::string, std::weak_ptr<client_bus>> r;
    return r;
}

}  // namespace

std::shared_ptr<client_bus> client_bus::get(const transport::link_options& link,
                                            std::string& conflict) {
    std::lock_guard lock(registry_mutex);
    auto& slot = registry()[key_of(link)];
    if (auto existing = slot.lock()) {
        if (!(existing->state_->link == link))
            conflict = existing->name() + " is already open with other serial settings";
        return existing;
    }
    auto s = std::make_shared<state>();
    s->link = link;
    s->name = key_of(link).substr(key_of(link).find(':') + 1);
    auto bus = std::shared_ptr<client_bus>(new client_bus(s));
    slot = bus;
    return bus;
}

client_bus::client_bus(std::shared_ptr<state> s) : state_(std::move(s)) {
    // The thread holds the state, not the bus: the last device may let go of the bus from
    // inside a reply callback, on this very thread.
    state_->worker = std::thread([s = state_] { s->run(); });
}

client_bus::~client_bus() {
    {
        std::lock_guard lock(state_->mutex);
        state_->stop = true;
    }
    state_->wake.notify_all();
    if (state_->worker.get_id() == std::this_thread::get_id())
        state_->worker.detach();
    else
        state_->worker.join();
}

const std::string& client_bus::name() const {
    return state_->name;
}

std::size_t client_bus::queued() const {
    std::lock_guard lock(state_->mutex);
    return state_->queue.size();
}

void client_bus::submit(const bus_request& r, done_fn done) {
    {
        std::lock_guard lock(state_->mutex);
        if (!state_->stop) {
            state_->queue.emplace_back(r, std::move(done));
            state_->wake.notify_one();
            return;
        }
    }
    bus_reply rep;
    rep.result = bus_reply::status::cancelled;
    done(std::move(rep));
}

void client_bus::state::run() {
    for (;;) {
        std::pair<bus_request, done_fn> job;
        {
            std::unique_lock lock(mutex);
            wake.wait(lock, [&] { return stop || !queue.empty(); });
            if (stop) break;
            job = std::move(queue.front());
            queue.pop_front();
        }
        job.second(execute(job.first));
    }
    close();
    std::deque<std::pair<bus_request, done_fn>> left;
    {
        std::lock_guard lock(mutex);
        left.swap(queue);
    }
    for (auto& [r, done] : left) {
        bus_reply rep;
        rep.result = bus_reply::status::cancelled;
        done(std::move(rep));
    }
}

bool client_bus::state::open(bus_reply& rep) {
    if (ctx) return true;
    if (const auto* s = std::get_if<transport::serial_options>(&link)) {
        ctx = modbus_new_rtu(s->port.c_str(), s->baud, s->parity, 8, s->stop_bits);
    } else if (const auto* t = std::get_if<transport::tcp_client_options>(&link)) {
        const auto colon = t->connect.rfind(':');
        const auto host = t->connect.substr(0, colon);
        const auto port = t->connect.substr(colon + 1);
        ctx = modbus_new_tcp_pi(host.c_str(), port.c_str());
    }
    if (!ctx) {
        rep.result = bus_reply::status::link_down;
        rep.detail = std::string("cannot set up ") + name + ": " + modbus_strerror(errno);
        return false;
    }
    if (modbus_connect(ctx) == -1) {
        rep.result = bus_reply::status::link_down;
        rep.detail = "cannot open " + name + ": " + modbus_strerror(errno);
        modbus_free(ctx);
        ctx = nullptr;
        return false;
    }
    rep.reconnected = true;
    return true;
}

bus_reply client_bus::state::execute(const bus_request& r) {
    bus_reply rep;
    if (!open(rep)) return rep;
    modbus_set_slave(ctx, r.unit);
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(r.timeout).count();
    modbus_set_response_timeout(ctx, static_cast<std::uint32_t>(us / 1'000'000),
                                static_cast<std::uint32_t>(us % 1'000'000));
    rep.words.resize(r.count);
    const int n = r.input ? modbus_read_input_registers(ctx, r.start, r.count, rep.words.data())
                          : modbus_read_registers(ctx, r.start, r.count, rep.words.data());
    if (n == r.count) return rep;
    const int e = n < 0 ? errno : EMBBADDATA;
    rep.words.clear();
    rep.detail = modbus_strerror(e);
    if (e >= EMBXILFUN && e <= EMBXGTAR) {
        rep.result = bus_reply::status::exception;
        rep.exception = e - MODBUS_ENOBASE;
    } else if (e == ETIMEDOUT) {
        rep.result = bus_reply::status::timeout;
    } else if (e == EMBBADCRC) {
        rep.result = bus_reply::status::checksum;
    } else if (e == EMBBADDATA || e == EMBBADEXC || e == EMBUNKEXC || e == EMBMDATA ||
               e == EMBBADSLAVE) {
        rep.result = bus_reply::status::garbage;
    } else {
        // The port or connection broke (EIO when a USB adapter is pulled, ECONNRESET, EPIPE):
        // reopened on the next request.
        rep.result = bus_reply::status::link_down;
        close();
        return rep;
    }
    // Whatever is left of a late or broken answer must not be taken for the next reply.
    if (ctx) modbus_flush(ctx);
    return rep;
}

}  // namespace vx::devices::modbus_client
