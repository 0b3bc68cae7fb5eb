#include "serve_conn.h"

#include <cerrno>
#include <cstdlib>

#include <dirent.h>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace cli::serve {
namespace {

bool same_address(const sockaddr_storage& sa, socklen_t len, const std::string& addr, int port) {
    char host[NI_MAXHOST], serv[NI_MAXSERV];
    if (getnameinfo(reinterpret_cast<const sockaddr*>(&sa), len, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
        return false;
    return std::atoi(serv) == port && addr == host;
}

bool matches(int fd, const std::string& local_addr, int local_port, const std::string& remote_addr, int remote_port) {
    sockaddr_storage sa{};
    socklen_t len = sizeof sa;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&sa), &len) != 0 || !same_address(sa, len, remote_addr, remote_port))
        return false;
    len = sizeof sa;
    return getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len) == 0 && same_address(sa, len, local_addr, local_port);
}

}  // namespace

PeerWatch::PeerWatch(const std::string& local_addr, int local_port, const std::string& remote_addr, int remote_port) {
    if (remote_port < 0 || local_port < 0) return;
    // The connection stays open while its handler runs, so the match cannot be a reused descriptor.
    if (DIR* d = opendir("/proc/self/fd")) {
        while (dirent* e = readdir(d)) {
            char* end = nullptr;
            const long fd = std::strtol(e->d_name, &end, 10);
            if (end == e->d_name || *end) continue;
            if (matches(int(fd), local_addr, local_port, remote_addr, remote_port)) {
                fd_ = int(fd);
                break;
            }
        }
        closedir(d);
        return;
    }
    for (int fd = 0; fd < 4096 && fd_ < 0; fd++)  // no /proc: the low descriptors
        if (matches(fd, local_addr, local_port, remote_addr, remote_port)) fd_ = fd;
}

bool PeerWatch::closed() const {
    if (fd_ < 0) return false;
    char c;
    const ssize_t n = recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0) return true;  // an orderly close
    return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;  // reset
}

}  // namespace cli::serve
