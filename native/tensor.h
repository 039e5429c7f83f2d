// The addon's one object type: a JS handle that owns a torch::Tensor.
// Memory is released deterministically by dispose() (the TS side calls it from scopes) and, as a backstop, when V8
// collects the handle. Handles the TS side cannot release deterministically (created or returned outside every
// scope) report their bytes to V8 (reportMemory) so that garbage collection sees the native pressure; reporting
// every short-lived activation instead makes V8 collect garbage over and over (measured: +30 % forward time).
#pragma once

#include <napi.h>
#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

namespace eecg {

struct AddonData {
  Napi::FunctionReference tensorConstructor;
};

class TensorHandle : public Napi::ObjectWrap<TensorHandle> {
 public:
  static Napi::Function Define(Napi::Env env);
  static Napi::Object Wrap(Napi::Env env, torch::Tensor tensor);
  static bool IsHandle(Napi::Env env, const Napi::Value& value);

  explicit TensorHandle(const Napi::CallbackInfo& info);
  ~TensorHandle() override;

  // The tensor, or a JS Error("tensor was disposed") when it was released.
  const torch::Tensor& Get(Napi::Env env) const;

 private:
  void Set(Napi::Env env, torch::Tensor tensor);
  void Release();

  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value IsDisposed(const Napi::CallbackInfo& info);
  Napi::Value Shape(const Napi::CallbackInfo& info);
  Napi::Value Dtype(const Napi::CallbackInfo& info);
  Napi::Value RequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value SetRequiresGrad(const Napi::CallbackInfo& info);
  Napi::Value Grad(const Napi::CallbackInfo& info);
  Napi::Value ClearGrad(const Napi::CallbackInfo& info);
  Napi::Value Nbytes(const Napi::CallbackInfo& info);
  Napi::Value ReportMemory(const Napi::CallbackInfo& info);

  torch::Tensor tensor_;
  int64_t reportedBytes_ = 0;
  napi_env env_ = nullptr;
};

// Argument helpers: each throws a JS TypeError naming the argument position when the value has the wrong kind.
const torch::Tensor& TensorArg(const Napi::CallbackInfo& info, size_t index);
c10::optional<torch::Tensor> OptionalTensorArg(const Napi::CallbackInfo& info, size_t index);
std::vector<torch::Tensor> TensorListArg(const Napi::CallbackInfo& info, size_t index);
int64_t IntArg(const Napi::CallbackInfo& info, size_t index);
double NumberArg(const Napi::CallbackInfo& info, size_t index);
bool BoolArg(const Napi::CallbackInfo& info, size_t index);
std::string StringArg(const Napi::CallbackInfo& info, size_t index);
std::vector<int64_t> IntListArg(const Napi::CallbackInfo& info, size_t index);
c10::optional<double> OptionalNumberArg(const Napi::CallbackInfo& info, size_t index);
bool IsNullish(const Napi::CallbackInfo& info, size_t index);

torch::ScalarType DtypeFromName(Napi::Env env, const std::string& name);
const char* DtypeName(torch::ScalarType type);

Napi::Value Wrap(Napi::Env env, torch::Tensor tensor);
Napi::Value WrapList(Napi::Env env, const std::vector<torch::Tensor>& tensors);

// Registers a function whose C++ and libtorch exceptions become JS Errors carrying libtorch's message.
void Export(Napi::Env env, Napi::Object exports, const char* name,
            std::function<Napi::Value(const Napi::CallbackInfo&)> body);

void RegisterOps(Napi::Env env, Napi::Object exports);
void RegisterMemory(Napi::Env env, Napi::Object exports);
// The c10d process group (distributed.cc), or `distributedAvailable: false` when built without Gloo's headers.
void RegisterDistributed(Napi::Env env, Napi::Object exports);

// A libtorch message without its C++ backtrace.
std::string CleanTorchMessage(const std::string& message);

}  // namespace eecg
