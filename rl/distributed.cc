#include "rl/distributed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>

#include <fmt/format.h>
#include <torch/version.h>

#include <torch/csrc/distributed/c10d/FileStore.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#if TORCH_VERSION_MAJOR >= 2
#include <torch/csrc/distributed/c10d/Backend.hpp>
#else
#include <torch/csrc/distributed/c10d/ProcessGroup.hpp>
#endif
#ifdef RLPLACE_C10D_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef RLPLACE_C10D_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include "netlists/error.h"

namespace rlplace::rl {

namespace {

// 1.13's process groups derive from ProcessGroup; from 2.0 the backends (Gloo, NCCL) are
// Backends that a ProcessGroup wraps. Both have the collectives used here.
#if TORCH_VERSION_MAJOR >= 2
using Group = c10d::Backend;
#else
using Group = c10d::ProcessGroup;
#endif

using namespace std::chrono_literals;
constexpr auto kBeat = 1000ms;  // heartbeat period; a rank silent for 3 of them has stopped

std::string alive_key(int rank) { return fmt::format("rlplace/alive/{}", rank); }
std::string failed_key(int rank) { return fmt::format("rlplace/failed/{}", rank); }

// One line, and not the pages some c10d errors carry.
std::string one_line(std::string s) {
  std::replace(s.begin(), s.end(), '\n', ' ');
  if (s.size() > 240) s = s.substr(0, 240) + "...";
  return s;
}

bool loopback(const std::string& addr) { return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1"; }

std::chrono::milliseconds millis(double seconds) {
  return std::chrono::milliseconds(static_cast<int64_t>(std::max(0.001, seconds) * 1000));
}

c10::intrusive_ptr<c10d::Store> make_store(const DistOptions& o, bool server) {
  c10d::TCPStoreOptions so;
  so.port = static_cast<std::uint16_t>(o.master_port);
  so.isServer = server;
  so.waitWorkers = false;  // the process group's rendezvous waits for every rank
  so.timeout = millis(o.timeout_s);
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 8)
  // c10d's own server listens on every interface; given a socket it uses that one. With a
  // loopback MASTER_ADDR (the default) the store, which has no authentication, is then
  // reachable from this machine only.
  if (server && loopback(o.master_addr)) {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(so.port);
    const int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    const std::string host = o.master_addr == "localhost" ? "127.0.0.1" : o.master_addr;
    if (fd < 0 || inet_pton(AF_INET, host.c_str(), &a.sin_addr) != 1 ||
        bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 || listen(fd, 128) != 0) {
      if (fd >= 0) close(fd);
      throw std::runtime_error(fmt::format("rank 0 cannot listen on {}:{}", host, o.master_port));
    }
    so.masterListenFd = fd;
  }
#endif
  return c10::make_intrusive<c10d::TCPStore>(o.master_addr, so);
}

// The local launcher's file stores, one file per store, shared by the `world` ranks.
c10::intrusive_ptr<c10d::Store> make_file_store(const DistOptions& o, const char* name) {
  auto store = c10::make_intrusive<c10d::FileStore>(o.store_dir + "/" + name, o.world);
  store->setTimeout(millis(o.timeout_s));
  return store;
}

}  // namespace

struct Communicator::Impl {
  c10::intrusive_ptr<c10d::Store> store;  // the process group's
  c10::intrusive_ptr<c10d::Store> side;   // heartbeat, reports, publish/fetch
  c10::intrusive_ptr<Group> group;
  bool nccl = false;
  std::atomic<bool> failed{false};  // a collective or store call failed
  torch::Device device{torch::kCPU};
  std::mutex side_mutex;
  std::atomic<bool> stop{false};
  std::thread heartbeat;
};

Communicator::Communicator(const DistOptions& o) : o_(o), impl_(std::make_unique<Impl>()) {
  if (o.world < 2 || o.rank < 0 || o.rank >= o.world)
    throw std::logic_error(fmt::format("Communicator: rank {} of {}", o.rank, o.world));
  try {
    if (o.store_dir.empty()) {
      impl_->store = make_store(o, o.rank == 0);
      impl_->side = make_store(o, false);
    } else {
      impl_->store = make_file_store(o, "group");
      impl_->side = make_file_store(o, "side");
    }
  } catch (const std::exception& e) {
    const std::string where = o.store_dir.empty() ? fmt::format("{}:{}", o.master_addr, o.master_port) : o.store_dir;
    throw DistributedError(fmt::format("rank {}: no rendezvous at {} within {} s ({})", o.rank, where, o.timeout_s,
                                       one_line(e.what())));
  }
  impl_->heartbeat = std::thread([this] {
    // A rank that stops (killed, frozen, swapped out) stops counting; the others' report
    // reads the counts. Errors are the store gone, which the collectives report.
    while (!impl_->stop) {
      try {
        std::lock_guard<std::mutex> lock(impl_->side_mutex);
        impl_->side->add(alive_key(o_.rank), 1);
      } catch (...) {
        return;
      }
      for (auto t = 0ms; t < kBeat && !impl_->stop; t += 50ms) std::this_thread::sleep_for(50ms);
    }
  });
}

Communicator::~Communicator() {
  impl_->stop = true;
  if (impl_->heartbeat.joinable()) impl_->heartbeat.join();
#ifdef RLPLACE_C10D_NCCL
  // NCCL's communicators are finalised explicitly, as Python's destroy_process_group does;
  // a group dropped without it warns at exit. Not after a failure: finalising waits for
  // collectives that a stopped rank never joins, and the process is ending with an error.
  if (impl_->nccl && impl_->group && !impl_->failed) {
    try {
      static_cast<c10d::ProcessGroupNCCL&>(*impl_->group).shutdown();
    } catch (const std::exception&) {
    }
  }
#endif
}

void Communicator::connect(torch::Device device) {
  impl_->device = device;
  try {
#ifdef RLPLACE_C10D_NCCL
    if (device.is_cuda()) {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = millis(o_.timeout_s);
      impl_->group = c10::make_intrusive<c10d::ProcessGroupNCCL>(impl_->store, o_.rank, o_.world, opts);
      impl_->nccl = true;
      return;
    }
#endif
#ifndef RLPLACE_C10D_GLOO
    throw std::runtime_error("this build has no c10d Gloo backend (Debian: apt-get install libgloo-dev, then rebuild)");
#else
    auto opts = c10d::ProcessGroupGloo::Options::create(millis(o_.timeout_s));
    const char* ifname = std::getenv("GLOO_SOCKET_IFNAME");  // as PyTorch's Python side reads it
    if (!o_.bind.empty())
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(o_.bind));
    else if (ifname && *ifname)
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(ifname));
    else if (loopback(o_.master_addr))
      opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
    else
      opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
    opts->threads = 2;
    impl_->group = c10::make_intrusive<c10d::ProcessGroupGloo>(impl_->store, o_.rank, o_.world, opts);
#endif
  } catch (const DistributedError&) {
    throw;
  } catch (const std::exception& e) {
    fail(e);
  }
}

void Communicator::all_reduce(torch::Tensor& t, bool max) {
  if (!impl_->group) throw std::logic_error("Communicator: a collective before connect()");
  // NCCL reduces device memory only, Gloo is used here on host memory only (it may have been
  // built without CUDA): what lives elsewhere goes there and back, which for a policy of this
  // size costs little next to an update.
  const bool moved = impl_->nccl != t.is_cuda();
  std::vector<at::Tensor> ts = {moved ? t.to(impl_->nccl ? impl_->device : torch::Device(torch::kCPU)) : t.contiguous()};
  c10d::AllreduceOptions opts;
  opts.reduceOp = max ? c10d::ReduceOp::MAX : c10d::ReduceOp::SUM;
  try {
    impl_->group->allreduce(ts, opts)->wait();
  } catch (const std::exception& e) {
    fail(e);
  }
  if (moved || !ts[0].is_same(t)) t.copy_(ts[0]);
}

void Communicator::sum(torch::Tensor& t) { all_reduce(t, false); }
void Communicator::max(torch::Tensor& t) { all_reduce(t, true); }

namespace {
torch::Tensor host_tensor(const std::vector<double>& v) {
  return torch::tensor(v, torch::TensorOptions().dtype(torch::kFloat64));
}
std::vector<double> host_vector(const torch::Tensor& t) {
  const torch::Tensor c = t.contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}
}  // namespace

std::vector<double> Communicator::sum(const std::vector<double>& v) {
  if (v.empty()) return v;
  torch::Tensor t = host_tensor(v);
  all_reduce(t, false);
  return host_vector(t);
}

std::vector<double> Communicator::max(const std::vector<double>& v) {
  if (v.empty()) return v;
  torch::Tensor t = host_tensor(v);
  all_reduce(t, true);
  return host_vector(t);
}

std::vector<double> Communicator::gather(const std::vector<double>& local) {
  std::vector<double> counts(o_.world, 0.0);
  counts[o_.rank] = static_cast<double>(local.size());
  counts = sum(counts);
  size_t first = 0, total = 0;
  for (int r = 0; r < o_.world; ++r) {
    if (r < o_.rank) first += static_cast<size_t>(counts[r]);
    total += static_cast<size_t>(counts[r]);
  }
  std::vector<double> all(total, 0.0);
  std::copy(local.begin(), local.end(), all.begin() + first);
  return sum(all);
}

void Communicator::broadcast(const std::vector<torch::Tensor>& tensors) {
  if (tensors.empty()) return;
  std::vector<torch::Tensor> flat;
  for (const auto& t : tensors) flat.push_back(t.detach().reshape(-1).to(torch::kFloat64));
  torch::Tensor all = torch::cat(flat);
  if (o_.rank != 0) all.zero_();
  all_reduce(all, false);
  torch::NoGradGuard no_grad;
  int64_t at = 0;
  for (const auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(all.slice(0, at, at + n).view(t.sizes()).to(t.dtype()));
    at += n;
  }
}

void Communicator::publish(const std::string& key, const std::string& bytes) {
  try {
    std::lock_guard<std::mutex> lock(impl_->side_mutex);
    impl_->side->set("rlplace/data/" + key, std::vector<uint8_t>(bytes.begin(), bytes.end()));
  } catch (const std::exception& e) {
    fail(e);
  }
}

std::string Communicator::fetch(const std::string& key, bool remove) {
  const std::string k = "rlplace/data/" + key;
  try {
    // Waits here, without the lock, so that the heartbeat goes on meanwhile.
    for (auto waited = 0ms; waited < millis(o_.timeout_s); waited += 100ms) {
      {
        std::lock_guard<std::mutex> lock(impl_->side_mutex);
        if (impl_->side->check({k})) {
          const std::vector<uint8_t> v = impl_->side->get(k);
          if (remove) {
            try {
              impl_->side->deleteKey(k);
            } catch (const std::exception&) {
              // A file store cannot delete; the key names its iteration, so it is never read again.
            }
          } else
            impl_->side->add("rlplace/read/" + key, 1);
          return std::string(v.begin(), v.end());
        }
      }
      std::this_thread::sleep_for(100ms);
    }
  } catch (const std::exception& e) {
    fail(e);
  }
  fail(std::runtime_error(fmt::format("no {} within the timeout of {} s", key, o_.timeout_s)));
}

void Communicator::await_readers(const std::string& key, int readers) {
  try {
    for (auto waited = 0ms; waited < millis(o_.timeout_s); waited += 50ms) {
      {
        std::lock_guard<std::mutex> lock(impl_->side_mutex);
        if (impl_->side->add("rlplace/read/" + key, 0) >= readers) return;
      }
      std::this_thread::sleep_for(50ms);
    }
  } catch (...) {
    // Nobody left to wait for.
  }
}

void Communicator::report_failure(const std::string& what) noexcept {
  impl_->failed = true;
  try {
    std::lock_guard<std::mutex> lock(impl_->side_mutex);
    impl_->side->set(failed_key(o_.rank), std::vector<uint8_t>(what.begin(), what.end()));
  } catch (...) {
    // The store is gone too: the others will say this rank stopped responding.
  }
}

// Which rank took the run down: one that said why, else one whose heartbeat stopped, else
// (the store itself is gone) rank 0, which serves it.
void Communicator::fail(const std::exception& e) {
  impl_->failed = true;
  const std::string what = one_line(e.what());
  auto beats = [&] {
    std::vector<int64_t> n(o_.world);
    std::lock_guard<std::mutex> lock(impl_->side_mutex);
    for (int r = 0; r < o_.world; ++r) n[r] = impl_->side->add(alive_key(r), 0);
    return n;
  };
  std::string message;
  try {
    for (int r = 0; r < o_.world && message.empty(); ++r) {
      if (r == o_.rank) continue;
      std::lock_guard<std::mutex> lock(impl_->side_mutex);
      if (impl_->side->check({failed_key(r)})) {
        const std::vector<uint8_t> v = impl_->side->get(failed_key(r));
        message = fmt::format("rank {} failed: {}", r, one_line(std::string(v.begin(), v.end())));
      }
    }
    if (message.empty()) {
      const std::vector<int64_t> before = beats();
      std::this_thread::sleep_for(3 * kBeat);
      const std::vector<int64_t> after = beats();
      for (int r = 0; r < o_.world && message.empty(); ++r)
        if (r != o_.rank && before[r] == after[r]) message = fmt::format("rank {} stopped responding ({})", r, what);
    }
  } catch (const std::exception&) {
    if (o_.rank != 0 && o_.store_dir.empty())
      message = fmt::format("rank 0 stopped responding (its rendezvous store at {}:{} is gone; {})", o_.master_addr,
                            o_.master_port, what);
  }
  if (message.empty()) message = fmt::format("rank {}: a collective failed ({})", o_.rank, what);
  throw DistributedError(message);
}

}  // namespace rlplace::rl
