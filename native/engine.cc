// Entry point of the libtorch addon: the tensor handle class, the ops, and what `efficientecg info` reports.
#include <ATen/Context.h>
#include <ATen/Parallel.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <thread>

#include "tensor.h"

namespace eecg {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  auto* data = new AddonData();
  data->tensorConstructor = Napi::Persistent(TensorHandle::Define(env));
  env.SetInstanceData(data);
  exports.Set("TensorHandle", data->tensorConstructor.Value());

  // Debian's libtorch starts with one intra-op thread; use every core unless the caller says otherwise.
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores > 0) torch::set_num_threads(static_cast<int>(cores));

  Napi::Object info = Napi::Object::New(env);
  info.Set("libtorchVersion", Napi::String::New(env, TORCH_VERSION));
  info.Set("mkldnn", Napi::Boolean::New(env, at::hasMKLDNN() && at::globalContext().userEnabledMkldnn()));
  info.Set("parallelInfo", Napi::String::New(env, at::get_parallel_info()));
  exports.Set("buildInfo", info);

  RegisterOps(env, exports);
  RegisterMemory(env, exports);
  RegisterDistributed(env, exports);
  return exports;
}

}  // namespace eecg

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return eecg::Init(env, exports); }

NODE_API_MODULE(efficientecg_engine, InitAddon)
