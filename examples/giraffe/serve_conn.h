// giraffe serve: noticing that a client went away while its request waits or runs. cpp-httplib 0.11 (the
// Debian package) tells a handler nothing about its connection until a write fails, and a request that
// is queued, reading its prompt or answering without streaming writes nothing for a long time: its slot
// would be held for a client that is gone. The connection is found by its addresses among the process's
// sockets, and peeked at (never read) while waiting.
#pragma once
#include <string>

namespace cli::serve {

class PeerWatch {
public:
    // The socket whose local and remote addresses are these (as getnameinfo writes them numerically,
    // which is how httplib fills Request::local_addr / remote_addr); none found: closed() stays false.
    PeerWatch(const std::string& local_addr, int local_port, const std::string& remote_addr, int remote_port);
    // True once the client closed or reset the connection.
    bool closed() const;

private:
    int fd_ = -1;
};

}  // namespace cli::serve
