// A torch.distributed process group for data-parallel training: c10d's TCPStore rendezvous and ProcessGroupGloo, the
// engine PyTorch's DDP and torchrun use on CPU. Built only when Gloo's headers are present (binding.gyp); otherwise
// the addon exports `distributedAvailable: false` and training runs on one process as before.
//
// Every collective is synchronous (it returns when the work is done on this rank), like the addon's other ops, and
// its errors carry a `code` the TS side maps to typed errors: TIMEOUT (a peer did not answer within the group's
// timeout), PEER_LOST (a peer's connection closed: it died), ADDRESS_IN_USE (the master port is taken), CLOSED (the
// group was destroyed), FAILED (anything else).
#include "tensor.h"

#ifdef EECG_DISTRIBUTED

#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/exception.h>

#include <unistd.h>

#include <chrono>
#include <cmath>
#include <limits>

namespace eecg {

namespace {

using Info = const Napi::CallbackInfo&;

constexpr int64_t kMaxInt = std::numeric_limits<int>::max();

bool Contains(const std::string& text, const char* part) { return text.find(part) != std::string::npos; }

// Gloo reports a dead peer and a timeout alike as IoException; only the message tells them apart.
const char* ErrorCode(const std::string& message, bool isTimeoutType) {
  if (Contains(message, "Address already in use") || Contains(message, "errno: 98")) return "ADDRESS_IN_USE";
  if (isTimeoutType || Contains(message, "Timed out") || Contains(message, "timed out") || Contains(message, "Timeout"))
    return "TIMEOUT";
  if (Contains(message, "closed by peer") || Contains(message, "Connection reset") || Contains(message, "Socket closed") ||
      Contains(message, "unexpectedly closed") || Contains(message, "Broken pipe") || Contains(message, "Connection refused"))
    return "PEER_LOST";
  return "FAILED";
}

Napi::Error DistributedError(Napi::Env env, const std::string& operation, const std::string& message,
                             bool isTimeoutType) {
  Napi::Error error = Napi::Error::New(env, CleanTorchMessage(message));
  error.Set("operation", Napi::String::New(env, operation));
  error.Set("code", Napi::String::New(env, ErrorCode(message, isTimeoutType)));
  return error;
}

// Runs `body`, turning c10d, Gloo and libtorch exceptions into JS errors with a code.
template <typename Body>
auto Guard(Napi::Env env, const std::string& operation, Body&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const Napi::Error&) {
    throw;
  } catch (const c10d::TimeoutError& error) {
    throw DistributedError(env, operation, error.what(), true);
  } catch (const c10::Error& error) {
    throw DistributedError(env, operation, error.what_without_backtrace(), false);
  } catch (const std::exception& error) {
    throw DistributedError(env, operation, error.what(), false);
  }
}

double RequiredNumber(Napi::Env env, const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  if (!value.IsNumber()) throw Napi::TypeError::New(env, std::string("process group option ") + name + " must be a number");
  return value.As<Napi::Number>().DoubleValue();
}

// Int64Value() and the int casts would turn 0.7 into 0 and 2^32 + 1 into 1: only integers in [min, max] pass.
int64_t RequiredInt(Napi::Env env, const Napi::Object& options, const char* name, int64_t min, int64_t max) {
  const double number = RequiredNumber(env, options, name);
  if (!(number >= static_cast<double>(min) && number <= static_cast<double>(max)) || std::trunc(number) != number) {
    throw Napi::RangeError::New(env, std::string("process group option ") + name + " must be an integer in [" +
                                         std::to_string(min) + ", " + std::to_string(max) + "], got " +
                                         options.Get(name).ToString().Utf8Value());
  }
  return static_cast<int64_t>(number);
}

// Milliseconds, at least 1 (0 or NaN would make every wait fail at once); fractions are rounded up.
std::chrono::milliseconds RequiredTimeout(Napi::Env env, const Napi::Object& options) {
  const double ms = RequiredNumber(env, options, "timeoutMs");
  if (!(ms >= 1 && ms <= 9007199254740991.0)) {
    throw Napi::RangeError::New(env, "process group option timeoutMs must be a finite number >= 1, got " +
                                         options.Get("timeoutMs").ToString().Utf8Value());
  }
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(ms)));
}

std::string RequiredString(Napi::Env env, const Napi::Object& options, const char* name) {
  Napi::Value value = options.Get(name);
  if (!value.IsString()) throw Napi::TypeError::New(env, std::string("process group option ") + name + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

// The tensors as one flat buffer, so that a list takes one Gloo call (one round of messages) however long it is, as
// DDP's buckets do. A single contiguous tensor is its own buffer (a view, no copy).
torch::Tensor Flatten(const std::vector<torch::Tensor>& tensors) {
  if (tensors.size() == 1) return tensors[0].reshape({-1}).contiguous();
  std::vector<torch::Tensor> flat;
  flat.reserve(tensors.size());
  for (const auto& t : tensors) flat.push_back(t.reshape({-1}));
  return torch::cat(flat);
}

// Copies the buffer's consecutive slices back into the tensors (nothing to do when the buffer is the tensor itself).
void Unflatten(const torch::Tensor& buffer, std::vector<torch::Tensor>& tensors) {
  if (tensors.size() == 1 && buffer.data_ptr() == tensors[0].data_ptr()) return;
  int64_t offset = 0;
  for (auto& t : tensors) {
    const int64_t n = t.numel();
    t.copy_(buffer.narrow(0, offset, n).view(t.sizes()));
    offset += n;
  }
}

Napi::Error MismatchError(Napi::Env env, const std::string& operation, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("operation", Napi::String::New(env, operation));
  error.Set("code", Napi::String::New(env, "MISMATCH"));
  return error;
}

std::string Range(const std::string& low, const std::string& high) { return low == high ? low : low + " to " + high; }

const char* NameOf(int64_t dtype) { return DtypeName(static_cast<torch::ScalarType>(dtype)); }

class ProcessGroupHandle : public Napi::ObjectWrap<ProcessGroupHandle> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "ProcessGroupHandle",
                       {
                           InstanceMethod<&ProcessGroupHandle::Rank>("rank"),
                           InstanceMethod<&ProcessGroupHandle::Size>("size"),
                           InstanceMethod<&ProcessGroupHandle::AllReduce>("allReduce"),
                           InstanceMethod<&ProcessGroupHandle::Broadcast>("broadcast"),
                           InstanceMethod<&ProcessGroupHandle::Barrier>("barrier"),
                           InstanceMethod<&ProcessGroupHandle::Destroy>("destroy"),
                       });
  }

  // new ProcessGroupHandle({ rank, worldSize, masterAddr, masterPort, timeoutMs, interface? }): blocks until every
  // rank has joined (or the timeout passes). Rank 0 hosts the TCPStore on masterPort.
  explicit ProcessGroupHandle(Info info) : Napi::ObjectWrap<ProcessGroupHandle>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsObject()) throw Napi::TypeError::New(env, "process group options must be an object");
    Napi::Object options = info[0].As<Napi::Object>();
    size_ = static_cast<int>(RequiredInt(env, options, "worldSize", 1, kMaxInt));
    rank_ = static_cast<int>(RequiredInt(env, options, "rank", 0, size_ - 1));
    const std::string masterAddr = RequiredString(env, options, "masterAddr");
    const auto port = static_cast<std::uint16_t>(RequiredInt(env, options, "masterPort", 1, 65535));
    const std::chrono::milliseconds timeout = RequiredTimeout(env, options);
    const Napi::Value interface = options.Get("interface");
    Guard(env, "rendezvous at " + masterAddr + ":" + std::to_string(port), [&] {
      c10d::TCPStoreOptions storeOptions;
      storeOptions.port = port;
      storeOptions.isServer = rank_ == 0;
      storeOptions.numWorkers = static_cast<std::size_t>(size_);
      storeOptions.waitWorkers = true;
      storeOptions.timeout = timeout;
      store_ = c10::make_intrusive<c10d::TCPStore>(masterAddr, storeOptions);
      auto groupOptions = c10d::ProcessGroupGloo::Options::create(timeout);
      groupOptions->devices.push_back(
          interface.IsString() ? c10d::ProcessGroupGloo::createDeviceForInterface(interface.As<Napi::String>().Utf8Value())
                               : c10d::ProcessGroupGloo::createDeviceForHostname(LocalHostFor(masterAddr)));
      group_ = c10::make_intrusive<c10d::ProcessGroupGloo>(store_, rank_, size_, groupOptions);
      return 0;
    });
  }

 private:
  // On one machine the peers meet on the loopback; across machines each rank's Gloo device binds to the address its
  // host name resolves to (as torch.distributed does without GLOO_SOCKET_IFNAME).
  static std::string LocalHostFor(const std::string& masterAddr) {
    if (masterAddr == "127.0.0.1" || masterAddr == "localhost" || masterAddr == "::1") return masterAddr;
    char name[256] = {0};
    gethostname(name, sizeof(name) - 1);
    return name;
  }

  c10::intrusive_ptr<c10d::ProcessGroupGloo>& Group(Napi::Env env, const char* operation) {
    if (!group_) {
      Napi::Error error = Napi::Error::New(env, std::string(operation) + ": the process group was destroyed");
      error.Set("code", Napi::String::New(env, "CLOSED"));
      throw error;
    }
    return group_;
  }

  static void Wait(const c10::intrusive_ptr<c10d::Work>& work) { work->wait(); }

  // Gloo trusts every rank to send the same bytes: a longer incoming message throws on its background thread
  // (SIGABRT), a shorter one leaves the receiver partly overwritten. One small all-reduce of [n, -n, dtype, -dtype]
  // with MAX gives every rank the largest and smallest of each, so all ranks throw together on a mismatch.
  void CheckAgreement(Napi::Env env, const char* operation, const torch::Tensor& buffer) {
    const int64_t n = buffer.numel(), dtype = static_cast<int64_t>(buffer.scalar_type());
    std::vector<torch::Tensor> header{torch::tensor({n, -n, dtype, -dtype}, torch::kInt64)};
    c10d::AllreduceOptions options;
    options.reduceOp = c10d::ReduceOp::MAX;
    Wait(group_->allreduce(header, options));
    const auto h = header[0].accessor<int64_t, 1>();
    if (h[0] == -h[1] && h[2] == -h[3]) return;
    throw MismatchError(env, operation,
                        "the ranks' tensors disagree: this rank has " + std::to_string(n) + " " + NameOf(dtype) +
                            " elements; across the ranks: " + Range(std::to_string(-h[1]), std::to_string(h[0])) +
                            " elements, dtype " + Range(NameOf(-h[3]), NameOf(h[2])));
  }

  Napi::Value Rank(Info info) { return Napi::Number::New(info.Env(), rank_); }
  Napi::Value Size(Info info) { return Napi::Number::New(info.Env(), size_); }

  // allReduce(tensors, 'sum' | 'mean'): every tensor becomes the sum (or mean) of that tensor over the ranks, in
  // place, through one flat buffer (the caller's bucket, as DDP's gradient buckets).
  Napi::Value AllReduce(Info info) {
    Napi::Env env = info.Env();
    auto& group = Group(env, "allReduce");
    std::vector<torch::Tensor> tensors = TensorListArg(info, 0);
    const std::string op = StringArg(info, 1);
    if (op != "sum" && op != "mean") throw Napi::TypeError::New(env, "allReduce: op must be 'sum' or 'mean'");
    if (tensors.empty()) return env.Undefined();
    // Checked before the sum: dividing an integer sum in place throws after the tensors were already summed.
    for (const auto& t : tensors) {
      if (op == "mean" && !torch::isFloatingType(t.scalar_type()))
        throw Napi::TypeError::New(env, std::string("allReduce: 'mean' needs floating-point tensors, got ") +
                                            DtypeName(t.scalar_type()));
    }
    Guard(env, "allReduce", [&] {
      torch::NoGradGuard noGrad;
      std::vector<torch::Tensor> buffer{Flatten(tensors)};
      CheckAgreement(env, "allReduce", buffer[0]);
      Wait(group->allreduce(buffer, c10d::AllreduceOptions{}));
      if (op == "mean") buffer[0].div_(size_);
      Unflatten(buffer[0], tensors);
      return 0;
    });
    return env.Undefined();
  }

  // broadcast(tensors, root): every tensor takes root's values, in place.
  Napi::Value Broadcast(Info info) {
    Napi::Env env = info.Env();
    auto& group = Group(env, "broadcast");
    std::vector<torch::Tensor> tensors = TensorListArg(info, 0);
    const int64_t root = IntArg(info, 1);
    if (root < 0 || root >= size_) throw Napi::RangeError::New(env, "broadcast: root must be a rank of the group");
    if (tensors.empty()) return env.Undefined();
    Guard(env, "broadcast", [&] {
      torch::NoGradGuard noGrad;
      std::vector<torch::Tensor> buffer{Flatten(tensors)};
      CheckAgreement(env, "broadcast", buffer[0]);
      c10d::BroadcastOptions options;
      options.rootRank = root;
      Wait(group->broadcast(buffer, options));
      Unflatten(buffer[0], tensors);
      return 0;
    });
    return env.Undefined();
  }

  Napi::Value Barrier(Info info) {
    Napi::Env env = info.Env();
    auto& group = Group(env, "barrier");
    Guard(env, "barrier", [&] {
      Wait(group->barrier());
      return 0;
    });
    return env.Undefined();
  }

  // Releases the Gloo connections and, on rank 0, the store's listening socket. Safe to call twice.
  Napi::Value Destroy(Info info) {
    group_.reset();
    store_.reset();
    return info.Env().Undefined();
  }

  int rank_ = 0;
  int size_ = 1;
  c10::intrusive_ptr<c10d::Store> store_;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
};

}  // namespace

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, true));
  exports.Set("ProcessGroupHandle", ProcessGroupHandle::Define(env));
}

}  // namespace eecg

#else

namespace eecg {

void RegisterDistributed(Napi::Env env, Napi::Object exports) {
  exports.Set("distributedAvailable", Napi::Boolean::New(env, false));
}

}  // namespace eecg

#endif
