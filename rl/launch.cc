// The process side of a data-parallel run, free of LibTorch: torchrun's variables in, and
// the local launcher (`train --nproc-per-node N`) that sets them for N copies of itself.
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include <fmt/format.h>

#include "netlists/error.h"
#include "netlists/io.h"
#include "rl/trainer.h"

namespace rlplace::rl {

namespace {

// An integer variable, or `fallback` when unset.
int env_int(const char* name, int fallback, int lowest, int highest) {
  const char* v = std::getenv(name);
  if (!v || !*v) return fallback;
  char* end = nullptr;
  const long n = std::strtol(v, &end, 10);
  if (*end || n < lowest || n > highest)
    throw InputError(fmt::format("environment: {}={} is not an integer in [{}, {}]", name, v, lowest, highest));
  return static_cast<int>(n);
}

}  // namespace

// Another process could take the port before rank 0 binds it; rank 0 then fails to listen
// and the launch ends with that line.
int free_loopback_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    if (fd >= 0) close(fd);
    throw std::runtime_error("train: no free port for MASTER_PORT; set it");
  }
  close(fd);
  return ntohs(a.sin_port);
}

namespace {

// This process's arguments, as the kernel has them.
std::vector<std::string> own_arguments() {
  std::vector<std::string> args;
  const std::string all = read_file("/proc/self/cmdline");
  for (size_t at = 0; at < all.size();) {
    const size_t end = all.find('\0', at);
    args.push_back(all.substr(at, end == std::string::npos ? std::string::npos : end - at));
    if (end == std::string::npos) break;
    at = end + 1;
  }
  return args;
}

}  // namespace

DistOptions dist_from_environment() {
  DistOptions d;
  d.world = env_int("WORLD_SIZE", 1, 1, 1 << 20);
  d.rank = env_int("RANK", 0, 0, d.world - 1);
  d.local_rank = env_int("LOCAL_RANK", d.rank, 0, 1 << 20);
  d.local_world = env_int("LOCAL_WORLD_SIZE", d.world, 1, 1 << 20);
  d.master_port = env_int("MASTER_PORT", 29500, 1, 65535);
  if (const char* a = std::getenv("MASTER_ADDR"); a && *a) d.master_addr = a;
  if (const char* dir = std::getenv("RLPLACE_STORE_DIR"); dir && *dir) d.store_dir = dir;
  return d;
}

int launch_local_ranks(int nproc, const std::function<int()>& pending_signal, std::string& failure) {
  const std::vector<std::string> args = own_arguments();
  const char* addr = std::getenv("MASTER_ADDR");
  const std::string master_addr = addr && *addr ? addr : "127.0.0.1";
  const char* port = std::getenv("MASTER_PORT");
  const std::string master_port = port && *port ? port : std::to_string(free_loopback_port());
  // mkdtemp makes it mode 0700: other users cannot join or read the rendezvous.
  const char* tmp = std::getenv("TMPDIR");
  std::string dir_template = std::string(tmp && *tmp ? tmp : "/tmp") + "/rlplace-ranks-XXXXXX";
  if (!mkdtemp(dir_template.data())) throw std::runtime_error("train: cannot make the ranks' rendezvous directory");
  const std::string store_dir = dir_template;
  struct RemoveDir {
    const std::string& path;
    ~RemoveDir() { remove_tree(path); }
  } remove_dir{store_dir};
  std::vector<pid_t> pids;
  for (int r = 0; r < nproc; ++r) {
    const pid_t pid = fork();
    if (pid < 0) {
      for (pid_t p : pids) kill(p, SIGTERM);
      throw std::runtime_error("train: cannot start the ranks (fork failed)");
    }
    if (pid == 0) {
      setenv("MASTER_ADDR", master_addr.c_str(), 1);
      setenv("MASTER_PORT", master_port.c_str(), 1);
      setenv("WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_RANK", std::to_string(r).c_str(), 1);
      setenv("LOCAL_WORLD_SIZE", std::to_string(nproc).c_str(), 1);
      setenv("RLPLACE_STORE_DIR", store_dir.c_str(), 1);
      std::vector<char*> argv;
      for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      execv("/proc/self/exe", argv.data());
      _exit(127);
    }
    pids.push_back(pid);
  }
  // Polls rather than blocks, so that a signal to the launcher reaches the ranks.
  int status = 0, left = nproc, forwarded = 0;
  while (left > 0) {
    const int sig = pending_signal ? pending_signal() : 0;
    if (sig && sig != forwarded) {
      for (size_t r = 0; r < pids.size(); ++r)
        if (pids[r] > 0) kill(pids[r], sig);
      forwarded = sig;
    }
    int ws = 0;
    const pid_t done = waitpid(-1, &ws, WNOHANG);
    if (done <= 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    for (size_t r = 0; r < pids.size(); ++r) {
      if (pids[r] != done) continue;
      pids[r] = -1;
      --left;
      const int code = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
      if (code != 0 && status == 0) {
        status = code;
        failure = WIFEXITED(ws) ? fmt::format("rank {} exited with status {}", r, code)
                                : fmt::format("rank {} was killed by signal {}", r, WTERMSIG(ws));
      }
    }
  }
  return status;
}

}  // namespace rlplace::rl
