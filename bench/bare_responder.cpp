// The benchmark ceiling: a bare epoll Modbus TCP responder that answers every FC3 request with
// `count` registers of zeros and does nothing else (no map, no validation beyond the MBAP
// length). It measures what the kernel costs per request on this machine.
// Usage: bare_responder PORT
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

int main(int argc, char** argv) {
    const int port = argc > 1 ? std::atoi(argv[1]) : 15504;
    const int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(lfd, 128) != 0)
        return 1;
    const int ep = epoll_create1(0);
    epoll_event ev{EPOLLIN, {.fd = lfd}};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
    std::vector<std::vector<std::uint8_t>> rx(65536);
    std::uint8_t out[300];
    epoll_event events[64];
    for (;;) {
        const int n = epoll_wait(ep, events, 64, -1);
        for (int i = 0; i < n; ++i) {
            const int fd = events[i].data.fd;
            if (fd == lfd) {
                const int c = accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK);
                if (c < 0) continue;
                setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                epoll_event cev{EPOLLIN, {.fd = c}};
                epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev);
                rx[static_cast<std::size_t>(c)].clear();
                continue;
            }
            auto& buf = rx[static_cast<std::size_t>(fd)];
            std::uint8_t tmp[4096];
            const auto got = recv(fd, tmp, sizeof tmp, 0);
            if (got <= 0) {
                close(fd);
                continue;
            }
            buf.insert(buf.end(), tmp, tmp + got);
            std::size_t pos = 0;
            while (buf.size() - pos >= 12) {
                const std::uint8_t* q = buf.data() + pos;
                const std::size_t len = 6u + static_cast<std::size_t>((q[4] << 8) | q[5]);
                if (buf.size() - pos < len) break;
                const unsigned count = static_cast<unsigned>((q[10] << 8) | q[11]) & 0x7F;
                std::memcpy(out, q, 7);
                const unsigned pdu = 2 + 2 * count;
                out[4] = static_cast<std::uint8_t>((pdu + 1) >> 8);
                out[5] = static_cast<std::uint8_t>(pdu + 1);
                out[7] = q[7];
                out[8] = static_cast<std::uint8_t>(2 * count);
                std::memset(out + 9, 0, 2 * count);
                send(fd, out, 7 + pdu, MSG_NOSIGNAL);
                pos += len;
            }
            buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(pos));
        }
    }
}
