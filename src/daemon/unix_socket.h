// Binding a listening Unix domain socket at a path, for the client socket
// and the event daemon socket.
#pragma once

#include <string>

namespace ctdb::daemon {

// Creates a non-blocking, close-on-exec stream socket bound at `path`, with
// owner-only permissions from the moment the name exists (4.17: 0700).
// Fails if something already accepts connections there; a stale socket file
// is replaced. Returns the descriptor, or -1 with *error set. `what` names
// the socket in the "already running" error ("ctdbd").
int bind_unix_socket(const std::string& path, const char* what, std::string* error);

}  // namespace ctdb::daemon
