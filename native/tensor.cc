#include "tensor.h"

#include <cmath>
#include <cstring>

namespace eecg {

namespace {

std::string Position(size_t index) { return "argument " + std::to_string(index); }

// Int64Value() truncates fractions, maps NaN and Infinity to 0 and clamps large values: a bad size or dim would
// silently become another one. Only values that are exactly an integer (up to 2^53 - 1) pass.
int64_t CheckedInt(const Napi::Value& value, const std::string& name) {
  const double number = value.As<Napi::Number>().DoubleValue();
  constexpr double kMaxSafe = 9007199254740991.0;
  if (!std::isfinite(number) || std::trunc(number) != number || std::fabs(number) > kMaxSafe) {
    throw Napi::RangeError::New(value.Env(), name + " must be a safe integer, got " + value.ToString().Utf8Value());
  }
  return static_cast<int64_t>(number);
}

}  // namespace

// libtorch messages end with a C++ backtrace and "Exception raised from ..." lines that mean nothing to a JS user.
std::string CleanTorchMessage(const std::string& message) {
  std::string clean = message;
  const size_t raised = clean.find("\nException raised from");
  if (raised != std::string::npos) clean = clean.substr(0, raised);
  while (!clean.empty() && (clean.back() == '\n' || clean.back() == ' ')) clean.pop_back();
  return clean;
}

Napi::Function TensorHandle::Define(Napi::Env env) {
  return DefineClass(env, "TensorHandle",
                     {
                         InstanceMethod<&TensorHandle::Dispose>("dispose"),
                         InstanceMethod<&TensorHandle::IsDisposed>("isDisposed"),
                         InstanceMethod<&TensorHandle::Shape>("shape"),
                         InstanceMethod<&TensorHandle::Dtype>("dtype"),
                         InstanceMethod<&TensorHandle::RequiresGrad>("requiresGrad"),
                         InstanceMethod<&TensorHandle::SetRequiresGrad>("setRequiresGrad"),
                         InstanceMethod<&TensorHandle::Grad>("grad"),
                         InstanceMethod<&TensorHandle::ClearGrad>("clearGrad"),
                         InstanceMethod<&TensorHandle::Nbytes>("nbytes"),
                         InstanceMethod<&TensorHandle::ReportMemory>("reportMemory"),
                     });
}

TensorHandle::TensorHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<TensorHandle>(info), env_(info.Env()) {}

TensorHandle::~TensorHandle() { Release(); }

Napi::Object TensorHandle::Wrap(Napi::Env env, torch::Tensor tensor) {
  auto* data = env.GetInstanceData<AddonData>();
  Napi::Object object = data->tensorConstructor.New({});
  TensorHandle::Unwrap(object)->Set(env, std::move(tensor));
  return object;
}

bool TensorHandle::IsHandle(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) return false;
  auto* data = env.GetInstanceData<AddonData>();
  return value.As<Napi::Object>().InstanceOf(data->tensorConstructor.Value());
}

void TensorHandle::Set(Napi::Env env, torch::Tensor tensor) {
  Release();
  tensor_ = std::move(tensor);
}

void TensorHandle::Release() {
  if (reportedBytes_ > 0 && env_ != nullptr) {
    napi_adjust_external_memory(env_, -reportedBytes_, nullptr);
  }
  reportedBytes_ = 0;
  tensor_ = torch::Tensor();
}

const torch::Tensor& TensorHandle::Get(Napi::Env env) const {
  if (!tensor_.defined()) throw Napi::Error::New(env, "tensor was disposed");
  return tensor_;
}

Napi::Value TensorHandle::Dispose(const Napi::CallbackInfo& info) {
  Release();
  return info.Env().Undefined();
}

Napi::Value TensorHandle::IsDisposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !tensor_.defined());
}

Napi::Value TensorHandle::Shape(const Napi::CallbackInfo& info) {
  const auto& tensor = Get(info.Env());
  Napi::Array shape = Napi::Array::New(info.Env(), tensor.dim());
  for (int64_t i = 0; i < tensor.dim(); ++i) shape.Set(i, Napi::Number::New(info.Env(), tensor.size(i)));
  return shape;
}

Napi::Value TensorHandle::Dtype(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), DtypeName(Get(info.Env()).scalar_type()));
}

Napi::Value TensorHandle::RequiresGrad(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), Get(info.Env()).requires_grad());
}

Napi::Value TensorHandle::SetRequiresGrad(const Napi::CallbackInfo& info) {
  auto tensor = Get(info.Env());
  try {
    tensor.set_requires_grad(BoolArg(info, 0));
  } catch (const c10::Error& error) {
    throw Napi::Error::New(info.Env(), CleanTorchMessage(error.what_without_backtrace()));
  }
  return info.Env().Undefined();
}

Napi::Value TensorHandle::Grad(const Napi::CallbackInfo& info) {
  const auto& grad = Get(info.Env()).grad();
  if (!grad.defined()) return info.Env().Null();
  return TensorHandle::Wrap(info.Env(), grad);
}

Napi::Value TensorHandle::ClearGrad(const Napi::CallbackInfo& info) {
  auto tensor = Get(info.Env());
  tensor.mutable_grad() = torch::Tensor();
  return info.Env().Undefined();
}

Napi::Value TensorHandle::Nbytes(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), tensor_.defined() ? static_cast<double>(tensor_.nbytes()) : 0.0);
}

Napi::Value TensorHandle::ReportMemory(const Napi::CallbackInfo& info) {
  if (tensor_.defined() && reportedBytes_ == 0) {
    reportedBytes_ = static_cast<int64_t>(tensor_.nbytes());
    if (reportedBytes_ > 0) Napi::MemoryManagement::AdjustExternalMemory(info.Env(), reportedBytes_);
  }
  return info.Env().Undefined();
}

const torch::Tensor& TensorArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  if (!TensorHandle::IsHandle(env, info[index])) {
    throw Napi::TypeError::New(env, Position(index) + " must be a tensor");
  }
  return TensorHandle::Unwrap(info[index].As<Napi::Object>())->Get(env);
}

bool IsNullish(const Napi::CallbackInfo& info, size_t index) {
  return info.Length() <= index || info[index].IsNull() || info[index].IsUndefined();
}

c10::optional<torch::Tensor> OptionalTensorArg(const Napi::CallbackInfo& info, size_t index) {
  if (IsNullish(info, index)) return c10::nullopt;
  return TensorArg(info, index);
}

std::vector<torch::Tensor> TensorListArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  if (!info[index].IsArray()) throw Napi::TypeError::New(env, Position(index) + " must be an array of tensors");
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<torch::Tensor> tensors;
  tensors.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!TensorHandle::IsHandle(env, item)) {
      throw Napi::TypeError::New(env, Position(index) + "[" + std::to_string(i) + "] must be a tensor");
    }
    tensors.push_back(TensorHandle::Unwrap(item.As<Napi::Object>())->Get(env));
  }
  return tensors;
}

int64_t IntArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), Position(index) + " must be an integer");
  return CheckedInt(info[index], Position(index));
}

double NumberArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), Position(index) + " must be a number");
  return info[index].As<Napi::Number>().DoubleValue();
}

c10::optional<double> OptionalNumberArg(const Napi::CallbackInfo& info, size_t index) {
  if (IsNullish(info, index)) return c10::nullopt;
  return NumberArg(info, index);
}

bool BoolArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsBoolean()) throw Napi::TypeError::New(info.Env(), Position(index) + " must be a boolean");
  return info[index].As<Napi::Boolean>().Value();
}

std::string StringArg(const Napi::CallbackInfo& info, size_t index) {
  if (!info[index].IsString()) throw Napi::TypeError::New(info.Env(), Position(index) + " must be a string");
  return info[index].As<Napi::String>().Utf8Value();
}

std::vector<int64_t> IntListArg(const Napi::CallbackInfo& info, size_t index) {
  Napi::Env env = info.Env();
  if (!info[index].IsArray()) throw Napi::TypeError::New(env, Position(index) + " must be an array of integers");
  Napi::Array array = info[index].As<Napi::Array>();
  std::vector<int64_t> values;
  values.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); ++i) {
    Napi::Value item = array.Get(i);
    if (!item.IsNumber()) throw Napi::TypeError::New(env, Position(index) + " must be an array of integers");
    values.push_back(CheckedInt(item, Position(index) + "[" + std::to_string(i) + "]"));
  }
  return values;
}

torch::ScalarType DtypeFromName(Napi::Env env, const std::string& name) {
  if (name == "float32") return torch::kFloat32;
  if (name == "float64") return torch::kFloat64;
  if (name == "int64") return torch::kInt64;
  if (name == "int32") return torch::kInt32;
  if (name == "bool") return torch::kBool;
  throw Napi::TypeError::New(env, "unknown dtype '" + name + "' (expected float32, float64, int64, int32 or bool)");
}

const char* DtypeName(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat32: return "float32";
    case torch::kFloat64: return "float64";
    case torch::kInt64: return "int64";
    case torch::kInt32: return "int32";
    case torch::kBool: return "bool";
    default: return "unsupported";
  }
}

Napi::Value Wrap(Napi::Env env, torch::Tensor tensor) { return TensorHandle::Wrap(env, std::move(tensor)); }

Napi::Value WrapList(Napi::Env env, const std::vector<torch::Tensor>& tensors) {
  Napi::Array array = Napi::Array::New(env, tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    array.Set(static_cast<uint32_t>(i), tensors[i].defined() ? Wrap(env, tensors[i]) : env.Null());
  }
  return array;
}

void Export(Napi::Env env, Napi::Object exports, const char* name,
            std::function<Napi::Value(const Napi::CallbackInfo&)> body) {
  auto guarded = [body = std::move(body)](const Napi::CallbackInfo& info) -> Napi::Value {
    try {
      return body(info);
    } catch (const Napi::Error&) {
      throw;
    } catch (const c10::Error& error) {
      throw Napi::Error::New(info.Env(), CleanTorchMessage(error.what_without_backtrace()));
    } catch (const std::exception& error) {
      throw Napi::Error::New(info.Env(), CleanTorchMessage(error.what()));
    }
  };
  exports.Set(name, Napi::Function::New(env, guarded, name));
}

}  // namespace eecg
