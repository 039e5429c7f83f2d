// Tensor ops exposed to TypeScript. Each is a thin, positional call into libtorch; argument checking with
// user-facing messages happens on the TS side (src/engine), libtorch's own checks are the second line.
// No model architecture lives here.
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <thread>

#include "tensor.h"

namespace eecg {

namespace {

using Info = const Napi::CallbackInfo&;

// A Tensor-or-number second operand, the way `a + 2` and `a + b` both work in PyTorch.
template <typename TensorOp, typename ScalarOp>
Napi::Value Binary(Info info, TensorOp tensorOp, ScalarOp scalarOp) {
  const auto& a = TensorArg(info, 0);
  if (info[1].IsNumber()) return Wrap(info.Env(), scalarOp(a, NumberArg(info, 1)));
  return Wrap(info.Env(), tensorOp(a, TensorArg(info, 1)));
}

torch::Tensor FromTypedArray(Napi::Env env, const Napi::TypedArray& array, const std::vector<int64_t>& shape) {
  torch::ScalarType source;
  switch (array.TypedArrayType()) {
    case napi_float32_array: source = torch::kFloat32; break;
    case napi_float64_array: source = torch::kFloat64; break;
    case napi_int32_array: source = torch::kInt32; break;
    case napi_bigint64_array: source = torch::kInt64; break;
    case napi_uint8_array: source = torch::kUInt8; break;  // converted to the target dtype by the caller
    default:
      throw Napi::TypeError::New(env, "data must be a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array");
  }
  int64_t numel = 1;
  for (int64_t d : shape) {
    if (d < 0) throw Napi::RangeError::New(env, "shape has a negative dimension");
    numel *= d;
  }
  if (static_cast<size_t>(numel) != array.ElementLength()) {
    throw Napi::RangeError::New(env, "data has " + std::to_string(array.ElementLength()) +
                                         " elements but the shape needs " + std::to_string(numel));
  }
  // Copy out of V8's memory: the tensor must own its data (V8 may move or free the buffer).
  torch::Tensor tensor = torch::empty(shape, torch::TensorOptions().dtype(source));
  // The typed array's own data pointer (already offset): ArrayBuffer().Data() fails on a SharedArrayBuffer.
  void* data = nullptr;
  napi_status status = napi_get_typedarray_info(env, array, nullptr, nullptr, &data, nullptr, nullptr);
  NAPI_THROW_IF_FAILED(env, status, torch::Tensor());
  if (numel > 0) std::memcpy(tensor.data_ptr(), data, array.ByteLength());
  return tensor;
}

Napi::Value ToTypedArray(Napi::Env env, const torch::Tensor& input) {
  torch::Tensor tensor = input.detach().contiguous();
  const size_t numel = static_cast<size_t>(tensor.numel());
  auto copy = [&](auto array, size_t bytes) {
    if (bytes > 0) std::memcpy(array.Data(), tensor.data_ptr(), bytes);
    return array;
  };
  switch (tensor.scalar_type()) {
    case torch::kFloat32: return copy(Napi::Float32Array::New(env, numel), numel * 4);
    case torch::kFloat64: return copy(Napi::Float64Array::New(env, numel), numel * 8);
    case torch::kInt32: return copy(Napi::Int32Array::New(env, numel), numel * 4);
    case torch::kInt64: return copy(Napi::BigInt64Array::New(env, numel), numel * 8);
    case torch::kBool: return copy(Napi::Uint8Array::New(env, numel), numel);
    default: throw Napi::TypeError::New(env, "cannot read a tensor of this dtype");
  }
}

torch::TensorOptions Options(Info info, size_t index) {
  return torch::TensorOptions().dtype(DtypeFromName(info.Env(), StringArg(info, index)));
}

int64_t Reduction(Napi::Env env, const std::string& name) {
  if (name == "mean") return at::Reduction::Mean;
  if (name == "sum") return at::Reduction::Sum;
  if (name == "none") return at::Reduction::None;
  throw Napi::TypeError::New(env, "reduction must be 'mean', 'sum' or 'none'");
}

void RegisterCreation(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "fromData", [](Info info) -> Napi::Value {
    if (!info[0].IsTypedArray()) throw Napi::TypeError::New(info.Env(), "argument 0 must be a typed array");
    torch::Tensor tensor = FromTypedArray(info.Env(), info[0].As<Napi::TypedArray>(), IntListArg(info, 1));
    const auto target = DtypeFromName(info.Env(), StringArg(info, 2));
    return Wrap(info.Env(), tensor.scalar_type() == target ? tensor : tensor.to(target));
  });
  Export(env, exports, "toData", [](Info info) -> Napi::Value { return ToTypedArray(info.Env(), TensorArg(info, 0)); });
  Export(env, exports, "item", [](Info info) -> Napi::Value {
    const auto& t = TensorArg(info, 0);
    if (t.numel() != 1) throw Napi::RangeError::New(info.Env(), "item() needs a tensor with one element");
    return Napi::Number::New(info.Env(), t.item<double>());
  });
  Export(env, exports, "zeros", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::zeros(IntListArg(info, 0), Options(info, 1)));
  });
  Export(env, exports, "ones", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::ones(IntListArg(info, 0), Options(info, 1)));
  });
  Export(env, exports, "full", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::full(IntListArg(info, 0), NumberArg(info, 1), Options(info, 2)));
  });
  Export(env, exports, "randn", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::randn(IntListArg(info, 0), Options(info, 1)));
  });
  Export(env, exports, "rand", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::rand(IntListArg(info, 0), Options(info, 1)));
  });
  Export(env, exports, "randperm", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::randperm(IntArg(info, 0), torch::TensorOptions().dtype(torch::kInt64)));
  });
  Export(env, exports, "arange", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::arange(NumberArg(info, 0), NumberArg(info, 1), NumberArg(info, 2), Options(info, 3)));
  });
}

void RegisterTensorFunctions(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "detach", [](Info info) -> Napi::Value { return Wrap(info.Env(), TensorArg(info, 0).detach()); });
  Export(env, exports, "clone", [](Info info) -> Napi::Value { return Wrap(info.Env(), TensorArg(info, 0).clone()); });
  Export(env, exports, "contiguous", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).contiguous());
  });
  Export(env, exports, "toDtype", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).to(DtypeFromName(info.Env(), StringArg(info, 1))));
  });
}

void RegisterElementwise(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "add", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a + b; }, [](auto& a, double b) { return a + b; });
  });
  Export(env, exports, "sub", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a - b; }, [](auto& a, double b) { return a - b; });
  });
  Export(env, exports, "mul", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a * b; }, [](auto& a, double b) { return a * b; });
  });
  Export(env, exports, "div", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a / b; }, [](auto& a, double b) { return a / b; });
  });
  Export(env, exports, "pow", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return torch::pow(a, b); }, [](auto& a, double b) { return torch::pow(a, b); });
  });
  Export(env, exports, "maximum", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::maximum(TensorArg(info, 0), TensorArg(info, 1)));
  });
  Export(env, exports, "minimum", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::minimum(TensorArg(info, 0), TensorArg(info, 1)));
  });
  Export(env, exports, "eq", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a.eq(b); }, [](auto& a, double b) { return a.eq(b); });
  });
  Export(env, exports, "gt", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a.gt(b); }, [](auto& a, double b) { return a.gt(b); });
  });
  Export(env, exports, "ge", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a.ge(b); }, [](auto& a, double b) { return a.ge(b); });
  });
  Export(env, exports, "lt", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a.lt(b); }, [](auto& a, double b) { return a.lt(b); });
  });
  Export(env, exports, "le", [](Info info) {
    return Binary(info, [](auto& a, auto& b) { return a.le(b); }, [](auto& a, double b) { return a.le(b); });
  });

  // Unary functions, one table: name -> libtorch function.
  using Unary = torch::Tensor (*)(const torch::Tensor&);
  static const std::vector<std::pair<const char*, Unary>> unary = {
      {"neg", [](const torch::Tensor& t) { return torch::neg(t); }},
      {"exp", [](const torch::Tensor& t) { return torch::exp(t); }},
      {"log", [](const torch::Tensor& t) { return torch::log(t); }},
      {"log1p", [](const torch::Tensor& t) { return torch::log1p(t); }},
      {"sqrt", [](const torch::Tensor& t) { return torch::sqrt(t); }},
      {"rsqrt", [](const torch::Tensor& t) { return torch::rsqrt(t); }},
      {"abs", [](const torch::Tensor& t) { return torch::abs(t); }},
      {"sign", [](const torch::Tensor& t) { return torch::sign(t); }},
      {"sigmoid", [](const torch::Tensor& t) { return torch::sigmoid(t); }},
      {"silu", [](const torch::Tensor& t) { return torch::silu(t); }},
      {"relu", [](const torch::Tensor& t) { return torch::relu(t); }},
      {"gelu", [](const torch::Tensor& t) { return torch::gelu(t); }},
      {"tanh", [](const torch::Tensor& t) { return torch::tanh(t); }},
      {"sin", [](const torch::Tensor& t) { return torch::sin(t); }},
      {"cos", [](const torch::Tensor& t) { return torch::cos(t); }},
      {"erf", [](const torch::Tensor& t) { return torch::erf(t); }},
      {"floor", [](const torch::Tensor& t) { return torch::floor(t); }},
      {"isnan", [](const torch::Tensor& t) { return torch::isnan(t); }},
      {"logicalNot", [](const torch::Tensor& t) { return torch::logical_not(t); }},
  };
  for (const auto& [name, fn] : unary) {
    Export(env, exports, name, [fn = fn](Info info) -> Napi::Value { return Wrap(info.Env(), fn(TensorArg(info, 0))); });
  }
  Export(env, exports, "clamp", [](Info info) -> Napi::Value {
    c10::optional<at::Scalar> lo, hi;
    if (auto v = OptionalNumberArg(info, 1)) lo = *v;
    if (auto v = OptionalNumberArg(info, 2)) hi = *v;
    return Wrap(info.Env(), torch::clamp(TensorArg(info, 0), lo, hi));
  });
  Export(env, exports, "where", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::where(TensorArg(info, 0), TensorArg(info, 1), TensorArg(info, 2)));
  });
  Export(env, exports, "softmax", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::softmax(TensorArg(info, 0), IntArg(info, 1)));
  });
  Export(env, exports, "logSoftmax", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::log_softmax(TensorArg(info, 0), IntArg(info, 1)));
  });
}

void RegisterLayers(Napi::Env env, Napi::Object exports) {
  // conv1d(x, weight, bias|null, stride, padding, dilation, groups)
  Export(env, exports, "conv1d", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::conv1d(TensorArg(info, 0), TensorArg(info, 1), OptionalTensorArg(info, 2),
                                          IntArg(info, 3), IntArg(info, 4), IntArg(info, 5), IntArg(info, 6)));
  });
  // batchNorm(x, weight|null, bias|null, runningMean|null, runningVar|null, training, momentum, eps)
  // In training mode libtorch updates the running statistics in place, as PyTorch does.
  Export(env, exports, "batchNorm", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::batch_norm(TensorArg(info, 0), OptionalTensorArg(info, 1), OptionalTensorArg(info, 2),
                                              OptionalTensorArg(info, 3), OptionalTensorArg(info, 4), BoolArg(info, 5),
                                              NumberArg(info, 6), NumberArg(info, 7), /*cudnn_enabled=*/false));
  });
  // layerNorm(x, normalizedShape, weight|null, bias|null, eps)
  Export(env, exports, "layerNorm", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::layer_norm(TensorArg(info, 0), IntListArg(info, 1), OptionalTensorArg(info, 2),
                                              OptionalTensorArg(info, 3), NumberArg(info, 4)));
  });
  Export(env, exports, "linear", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::linear(TensorArg(info, 0), TensorArg(info, 1), OptionalTensorArg(info, 2)));
  });
  Export(env, exports, "matmul", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::matmul(TensorArg(info, 0), TensorArg(info, 1)));
  });
  Export(env, exports, "bmm", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::bmm(TensorArg(info, 0), TensorArg(info, 1)));
  });
  // avgPool1d(x, kernel, stride, padding, ceilMode, countIncludePad)
  Export(env, exports, "avgPool1d", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::avg_pool1d(TensorArg(info, 0), {IntArg(info, 1)}, {IntArg(info, 2)},
                                              {IntArg(info, 3)}, BoolArg(info, 4), BoolArg(info, 5)));
  });
  // maxPool1d(x, kernel, stride, padding, dilation, ceilMode)
  Export(env, exports, "maxPool1d", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::max_pool1d(TensorArg(info, 0), {IntArg(info, 1)}, {IntArg(info, 2)},
                                              {IntArg(info, 3)}, {IntArg(info, 4)}, BoolArg(info, 5)));
  });
  Export(env, exports, "adaptiveAvgPool1d", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::adaptive_avg_pool1d(TensorArg(info, 0), {IntArg(info, 1)}));
  });
  Export(env, exports, "adaptiveMaxPool1d", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), std::get<0>(torch::adaptive_max_pool1d(TensorArg(info, 0), {IntArg(info, 1)})));
  });
  Export(env, exports, "dropout", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::dropout(TensorArg(info, 0), NumberArg(info, 1), BoolArg(info, 2)));
  });
  // embedding(weight, indices, paddingIdx)
  Export(env, exports, "embedding", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::embedding(TensorArg(info, 0), TensorArg(info, 1), IntArg(info, 2)));
  });
  // lstm(input, h0, c0, flatWeights, hasBiases, numLayers, dropout, training, bidirectional, batchFirst)
  //   -> [output, hN, cN]; flatWeights per layer and direction: w_ih, w_hh, (b_ih, b_hh), as in PyTorch.
  Export(env, exports, "lstm", [](Info info) -> Napi::Value {
    auto [output, h, c] =
        torch::lstm(TensorArg(info, 0), {TensorArg(info, 1), TensorArg(info, 2)}, TensorListArg(info, 3),
                    BoolArg(info, 4), IntArg(info, 5), NumberArg(info, 6), BoolArg(info, 7), BoolArg(info, 8),
                    BoolArg(info, 9));
    return WrapList(info.Env(), {output, h, c});
  });
}

void RegisterShape(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "cat", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::cat(TensorListArg(info, 0), IntArg(info, 1)));
  });
  Export(env, exports, "stack", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::stack(TensorListArg(info, 0), IntArg(info, 1)));
  });
  Export(env, exports, "reshape", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).reshape(IntListArg(info, 1)));
  });
  Export(env, exports, "transpose", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).transpose(IntArg(info, 1), IntArg(info, 2)));
  });
  Export(env, exports, "permute", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).permute(IntListArg(info, 1)));
  });
  Export(env, exports, "expand", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).expand(IntListArg(info, 1)));
  });
  Export(env, exports, "squeeze", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).squeeze(IntArg(info, 1)));
  });
  Export(env, exports, "unsqueeze", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).unsqueeze(IntArg(info, 1)));
  });
  Export(env, exports, "flatten", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).flatten(IntArg(info, 1), IntArg(info, 2)));
  });
  // slice(x, dim, start, end, step)
  Export(env, exports, "slice", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), TensorArg(info, 0).slice(IntArg(info, 1), IntArg(info, 2), IntArg(info, 3), IntArg(info, 4)));
  });
  Export(env, exports, "indexSelect", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::index_select(TensorArg(info, 0), IntArg(info, 1), TensorArg(info, 2)));
  });
  Export(env, exports, "gather", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::gather(TensorArg(info, 0), IntArg(info, 1), TensorArg(info, 2)));
  });
  // pad(x, pads, mode, value): pads as torch.nn.functional.pad (last dimension first); mode constant|reflect|replicate
  Export(env, exports, "pad", [](Info info) -> Napi::Value {
    const std::string mode = StringArg(info, 2);
    const auto pads = IntListArg(info, 1);
    const auto& x = TensorArg(info, 0);
    if (mode == "constant") return Wrap(info.Env(), torch::constant_pad_nd(x, pads, NumberArg(info, 3)));
    if (mode == "reflect") return Wrap(info.Env(), torch::reflection_pad1d(x, pads));
    if (mode == "replicate") return Wrap(info.Env(), torch::replication_pad1d(x, pads));
    throw Napi::TypeError::New(info.Env(), "pad mode must be constant, reflect or replicate");
  });
}

void RegisterReductions(Napi::Env env, Napi::Object exports) {
  // sum(x, dims|null, keepdim): null reduces over every dimension.
  Export(env, exports, "sum", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.sum());
    return Wrap(info.Env(), x.sum(IntListArg(info, 1), BoolArg(info, 2)));
  });
  Export(env, exports, "mean", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.mean());
    return Wrap(info.Env(), x.mean(IntListArg(info, 1), BoolArg(info, 2)));
  });
  // var(x, dims|null, unbiased, keepdim)
  Export(env, exports, "var", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.var(BoolArg(info, 2)));
    return Wrap(info.Env(), x.var(IntListArg(info, 1), BoolArg(info, 2), BoolArg(info, 3)));
  });
  // max(x, dim|null, keepdim) -> values; min likewise
  Export(env, exports, "max", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.max());
    return Wrap(info.Env(), std::get<0>(x.max(IntArg(info, 1), BoolArg(info, 2))));
  });
  Export(env, exports, "min", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.min());
    return Wrap(info.Env(), std::get<0>(x.min(IntArg(info, 1), BoolArg(info, 2))));
  });
  Export(env, exports, "argmax", [](Info info) -> Napi::Value {
    const auto& x = TensorArg(info, 0);
    if (IsNullish(info, 1)) return Wrap(info.Env(), x.argmax());
    return Wrap(info.Env(), x.argmax(IntArg(info, 1), BoolArg(info, 2)));
  });
}

void RegisterLosses(Napi::Env env, Napi::Object exports) {
  // bceWithLogits(logits, target, weight|null, posWeight|null, reduction)
  Export(env, exports, "bceWithLogits", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::binary_cross_entropy_with_logits(
                                TensorArg(info, 0), TensorArg(info, 1), OptionalTensorArg(info, 2),
                                OptionalTensorArg(info, 3), Reduction(info.Env(), StringArg(info, 4))));
  });
  // crossEntropy(logits, target (int64 classes or probabilities), weight|null, reduction, ignoreIndex, labelSmoothing)
  Export(env, exports, "crossEntropy", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::cross_entropy_loss(TensorArg(info, 0), TensorArg(info, 1), OptionalTensorArg(info, 2),
                                                      Reduction(info.Env(), StringArg(info, 3)), IntArg(info, 4),
                                                      NumberArg(info, 5)));
  });
  Export(env, exports, "mseLoss", [](Info info) -> Napi::Value {
    return Wrap(info.Env(), torch::mse_loss(TensorArg(info, 0), TensorArg(info, 1), Reduction(info.Env(), StringArg(info, 2))));
  });
}

void RegisterAutograd(Napi::Env env, Napi::Object exports) {
  // backward(loss, gradient|null, retainGraph)
  Export(env, exports, "backward", [](Info info) -> Napi::Value {
    torch::Tensor gradient = OptionalTensorArg(info, 1).value_or(torch::Tensor());
    TensorArg(info, 0).backward(gradient, BoolArg(info, 2));
    return info.Env().Undefined();
  });
  // grad(outputs, inputs, gradOutputs|null, retainGraph, createGraph, allowUnused) -> gradients (null when unused)
  Export(env, exports, "grad", [](Info info) -> Napi::Value {
    std::vector<torch::Tensor> gradOutputs;
    if (!IsNullish(info, 2)) gradOutputs = TensorListArg(info, 2);
    auto grads = torch::autograd::grad(TensorListArg(info, 0), TensorListArg(info, 1), gradOutputs, BoolArg(info, 3),
                                       BoolArg(info, 4), BoolArg(info, 5));
    return WrapList(info.Env(), grads);
  });
  Export(env, exports, "setGradEnabled", [](Info info) -> Napi::Value {
    const bool previous = at::GradMode::is_enabled();
    at::GradMode::set_enabled(BoolArg(info, 0));
    return Napi::Boolean::New(info.Env(), previous);
  });
  Export(env, exports, "isGradEnabled", [](Info info) -> Napi::Value {
    return Napi::Boolean::New(info.Env(), at::GradMode::is_enabled());
  });
}

// In-place updates for optimisers and initialisers. They run without recording autograd history.
void RegisterInPlace(Napi::Env env, Napi::Object exports) {
  auto inPlace = [env, exports](const char* name, std::function<void(Info, torch::Tensor&)> body) {
    Export(env, exports, name, [body = std::move(body)](Info info) -> Napi::Value {
      torch::NoGradGuard noGrad;
      torch::Tensor target = TensorArg(info, 0);
      body(info, target);
      return info.Env().Undefined();
    });
  };
  inPlace("addInPlace", [](Info info, torch::Tensor& t) { t.add_(TensorArg(info, 1), NumberArg(info, 2)); });
  inPlace("mulInPlace", [](Info info, torch::Tensor& t) {
    if (info[1].IsNumber()) t.mul_(NumberArg(info, 1));
    else t.mul_(TensorArg(info, 1));
  });
  inPlace("addcmulInPlace", [](Info info, torch::Tensor& t) {
    t.addcmul_(TensorArg(info, 1), TensorArg(info, 2), NumberArg(info, 3));
  });
  inPlace("addcdivInPlace", [](Info info, torch::Tensor& t) {
    t.addcdiv_(TensorArg(info, 1), TensorArg(info, 2), NumberArg(info, 3));
  });
  inPlace("lerpInPlace", [](Info info, torch::Tensor& t) { t.lerp_(TensorArg(info, 1), NumberArg(info, 2)); });
  inPlace("copyInPlace", [](Info info, torch::Tensor& t) { t.copy_(TensorArg(info, 1)); });
  // Replaces the data (and dtype) of a leaf while keeping its identity, as module.double() does in PyTorch.
  inPlace("setData", [](Info info, torch::Tensor& t) { t.set_data(TensorArg(info, 1)); });
  inPlace("fillInPlace", [](Info info, torch::Tensor& t) { t.fill_(NumberArg(info, 1)); });
  inPlace("uniformInPlace", [](Info info, torch::Tensor& t) { t.uniform_(NumberArg(info, 1), NumberArg(info, 2)); });
  inPlace("normalInPlace", [](Info info, torch::Tensor& t) { t.normal_(NumberArg(info, 1), NumberArg(info, 2)); });
  inPlace("truncNormalInPlace", [](Info info, torch::Tensor& t) {
    // Resample-free truncation used by ViT/EfficientNet inits: normal, then clamp to [a, b].
    t.normal_(NumberArg(info, 1), NumberArg(info, 2)).clamp_(NumberArg(info, 3), NumberArg(info, 4));
  });
}

void RegisterRuntime(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "setNumThreads", [](Info info) -> Napi::Value {
    // libtorch starts every thread asked for and waits forever if one cannot be created: keep n near the cores.
    const int64_t cores = std::max<int64_t>(1, std::thread::hardware_concurrency());
    const int64_t limit = std::min<int64_t>(4 * cores, 1024);
    const int64_t n = IntArg(info, 0);
    if (n < 1 || n > limit)
      throw Napi::RangeError::New(info.Env(), "threads must be in [1, " + std::to_string(limit) + "], got " +
                                                  std::to_string(n));
    torch::set_num_threads(static_cast<int>(n));
    return info.Env().Undefined();
  });
  Export(env, exports, "getNumThreads", [](Info info) -> Napi::Value {
    return Napi::Number::New(info.Env(), torch::get_num_threads());
  });
  Export(env, exports, "manualSeed", [](Info info) -> Napi::Value {
    torch::manual_seed(static_cast<uint64_t>(IntArg(info, 0)));
    return info.Env().Undefined();
  });
}

}  // namespace

void RegisterOps(Napi::Env env, Napi::Object exports) {
  RegisterCreation(env, exports);
  RegisterTensorFunctions(env, exports);
  RegisterElementwise(env, exports);
  RegisterLayers(env, exports);
  RegisterShape(env, exports);
  RegisterReductions(env, exports);
  RegisterLosses(env, exports);
  RegisterAutograd(env, exports);
  RegisterInPlace(env, exports);
  RegisterRuntime(env, exports);
}

}  // namespace eecg
