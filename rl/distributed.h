// Data-parallel training across processes on LibTorch's distributed runtime (c10d): the
// rendezvous (a TCPStore served by rank 0), the process group (Gloo; NCCL for CUDA devices
// where the LibTorch build has it), the few collectives the trainer needs, and the failure
// report that names the rank that stopped. docs/distributed.md has the launch recipes.
//
// Every collective here is an all-reduce: a gather is an all-reduce of a zero buffer in which
// each rank fills its own segment, and a broadcast one in which only the root fills it. Adding
// zeros is exact, so these give bit-for-bit the values the other ranks hold, and one primitive
// keeps the code the same on the two c10d APIs rlplace builds against (1.13 and 2.x).
#pragma once

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <torch/types.h>

#include "rl/trainer.h"

namespace rlplace::rl {

// A collective that failed because another rank did; its message names that rank.
struct DistributedError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

class Communicator {
 public:
  // Joins the rendezvous (rank 0 serves the store) and starts the heartbeat the failure
  // report reads. The process group itself waits for connect(), which needs the device.
  explicit Communicator(const DistOptions& options);
  ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  // Creates the process group: NCCL for a CUDA device when built with it, Gloo otherwise.
  void connect(torch::Device device);

  int rank() const { return o_.rank; }
  int size() const { return o_.world; }

  // In place, over every rank; `t` may live on any device.
  void sum(torch::Tensor& t);
  void max(torch::Tensor& t);
  std::vector<double> sum(const std::vector<double>& v);
  std::vector<double> max(const std::vector<double>& v);
  // Every rank's `local` concatenated in rank order; the lengths may differ.
  std::vector<double> gather(const std::vector<double>& local);
  // Rank 0's values of `tensors` on every rank.
  void broadcast(const std::vector<torch::Tensor>& tensors);

  // Bytes through the store, from one rank to those that ask for the key (waits for it up to
  // the timeout). `remove`: the only reader takes it out, so that the store does not grow.
  void publish(const std::string& key, const std::string& bytes);
  std::string fetch(const std::string& key, bool remove = false);
  // Waits (up to the timeout) until `readers` ranks have fetched `key`: rank 0 serves the
  // store, and a rank 0 that fails at once must not take it away before the others read why.
  void await_readers(const std::string& key, int readers);

  // Tells the other ranks why this one is about to stop, so their report can say it.
  void report_failure(const std::string& what) noexcept;

 private:
  struct Impl;  // the c10d objects, whose types differ between LibTorch versions
  void all_reduce(torch::Tensor& t, bool max);
  // Throws the one-line DistributedError for a failed collective or store call, naming the
  // rank that failed (it said why) or stopped answering (its heartbeat stopped).
  [[noreturn]] void fail(const std::exception& e);

  DistOptions o_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rlplace::rl
