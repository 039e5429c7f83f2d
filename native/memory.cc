// Where libtorch's CPU tensors live, and how the process gives memory back. See ARCHITECTURE.md, "Memory".
//
// Training repeats the same tensor sizes every step. Under glibc malloc those blocks share one heap whose free holes
// stay resident and fragment a little more each step: EfficientNet-B0 (batch 32) crept from 960 to 1030 MB over
// 12 steps while ~550 MB of tensors were ever live at once. The tensor cache serves every tensor of 64 KiB or more
// from its own mmap and keeps freed blocks by size for the next request of that size, so a step reuses the previous
// step's blocks. It never holds more (live + cached) than 9/8 of the highest live total so far: a request that finds no
// block resizes the nearest cached one (mremap keeps its resident pages: no page faults for them) and unmaps others
// until it fits. Smaller tensors go to glibc as before.
#include <c10/core/CPUAllocator.h>
#include <napi.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <iterator>
#include <map>
#include <mutex>
#include <new>
#include <string>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "tensor.h"

namespace eecg {

namespace {

using Info = const Napi::CallbackInfo&;

constexpr size_t kPage = 4096;
// Below this, glibc's own bins do well (and most small tensors are scalars or shapes); above, the cache serves.
constexpr size_t kCachedMinBytes = 64 * 1024;
constexpr size_t kSmallAlignment = 64;  // c10's gAlignment for AVX-512 kernels
// A cached block up to 1/8 larger than a request serves it as it is (measured: 25 % fewer misses than exact sizes).
constexpr size_t kMaxWasteDiv = 8;
// The cache may hold 1/8 more than the live peak. Without that slack, B0 training resized or remapped ~100 MB of blocks
// per step (4x the system time of glibc malloc); with it, the system time equals glibc's (ARCHITECTURE.md, "Memory").
constexpr size_t kSlackDiv = 8;

class TensorCache final : public c10::Allocator {
 public:
  struct Stats {
    size_t liveBytes, cachedBytes, peakLiveBytes, hits, misses, resizes, evictions, mappedBytes;
  };

  c10::DataPtr allocate(size_t bytes) const override {
    void* data = bytes < kCachedMinBytes ? AllocateSmall(bytes) : Self().AllocateLarge(RoundToPages(bytes));
    return {data, data, &Release, c10::Device(c10::DeviceType::CPU)};
  }
  c10::DeleterFnPtr raw_deleter() const override { return &Release; }

  static TensorCache& Instance() {
    static auto* cache = new TensorCache();  // never destroyed: tensors may be freed during process exit
    return *cache;
  }

  // Unmaps every cached block and starts the high-water mark again from what is live now.
  void Clear() {
    std::vector<std::pair<void*, size_t>> released;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (auto& [size, blocks] : free_)
        for (void* block : blocks) released.emplace_back(block, size);
      free_.clear();
      cachedBytes_ = 0;
      peakLiveBytes_ = liveBytes_;
    }
    for (auto& [block, size] : released) munmap(block, size);
  }

  // Off: blocks made while it was on are unmapped when freed instead of being kept for requests that never come.
  void SetEnabled(bool enabled) {
    std::lock_guard<std::mutex> lock(mutex_);
    enabled_ = enabled;
  }

  Stats Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return {liveBytes_, cachedBytes_, peakLiveBytes_, hits_, misses_, resizes_, evictions_, mappedBytes_};
  }

 private:
  TensorCache() = default;
  TensorCache& Self() const { return const_cast<TensorCache&>(*this); }  // allocate() is const in c10's interface

  static size_t RoundToPages(size_t bytes) { return (bytes + kPage - 1) / kPage * kPage; }

  static void* AllocateSmall(size_t bytes) {
    void* data = nullptr;
    if (posix_memalign(&data, kSmallAlignment, bytes == 0 ? kSmallAlignment : bytes) != 0) throw std::bad_alloc();
    return data;
  }

  void* AllocateLarge(size_t size) {
    std::vector<std::pair<void*, size_t>> evicted;
    std::pair<void*, size_t> resized{nullptr, 0};
    {
      std::lock_guard<std::mutex> lock(mutex_);
      // The smallest cached block that fits, if it wastes at most 1/8: it keeps its size (and its class).
      auto fit = free_.lower_bound(size);
      if (fit != free_.end() && fit->first <= size + size / kMaxWasteDiv) {
        ++hits_;
        const size_t bytes = fit->first;
        return MarkLive(PopCached(fit), bytes);
      }
      ++misses_;
      if (cachedBytes_ > 0 && liveBytes_ + cachedBytes_ + size > Limit(size)) {
        // No room for new memory: resize the nearest cached block, which keeps its resident pages (no page faults
        // for them) instead of unmapping it and faulting in a new one.
        auto nearest = free_.lower_bound(size);
        if (nearest == free_.end()) nearest = std::prev(free_.end());
        resized.second = nearest->first;
        resized.first = PopCached(nearest);
        ++resizes_;
      }
      EvictToFit(size, evicted);
    }
    for (auto& [block, bytes] : evicted) munmap(block, bytes);
    void* block = resized.first != nullptr
                      ? mremap(resized.first, resized.second, size, MREMAP_MAYMOVE)
                      : mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (block == MAP_FAILED) {
      // A failed mremap leaves the popped block mapped and owned by no one: unmap it rather than leak it.
      if (resized.first != nullptr) munmap(resized.first, resized.second);
      throw std::bad_alloc();
    }
    std::lock_guard<std::mutex> lock(mutex_);
    mappedBytes_ += size > resized.second ? size - resized.second : 0;
    return MarkLive(block, size);
  }

  // Caller holds mutex_. The most the cache may hold (live + cached) when `size` more bytes go live.
  size_t Limit(size_t size) const {
    return std::max(peakLiveBytes_ + peakLiveBytes_ / kSlackDiv, liveBytes_ + size);
  }

  // Caller holds mutex_.
  void* PopCached(std::map<size_t, std::vector<void*>>::iterator entry) {
    void* block = entry->second.back();
    entry->second.pop_back();
    cachedBytes_ -= entry->first;
    if (entry->second.empty()) free_.erase(entry);
    return block;
  }

  // Caller holds mutex_. Largest blocks first: fewest unmaps for the bytes needed.
  void EvictToFit(size_t size, std::vector<std::pair<void*, size_t>>& evicted) {
    while (cachedBytes_ > 0 && liveBytes_ + cachedBytes_ + size > Limit(size)) {
      auto largest = std::prev(free_.end());
      const size_t bytes = largest->first;
      evicted.emplace_back(PopCached(largest), bytes);
      ++evictions_;
    }
  }

  // Caller holds mutex_.
  void* MarkLive(void* block, size_t size) {
    live_.emplace(block, size);
    liveBytes_ += size;
    peakLiveBytes_ = std::max(peakLiveBytes_, liveBytes_);
    return block;
  }

  static void Release(void* data) {
    if (data == nullptr) return;
    TensorCache& cache = Instance();
    size_t unmap = 0;
    {
      std::lock_guard<std::mutex> lock(cache.mutex_);
      auto live = cache.live_.find(data);
      if (live != cache.live_.end()) {
        const size_t size = live->second;
        cache.live_.erase(live);
        cache.liveBytes_ -= size;
        if (cache.enabled_) {
          cache.free_[size].push_back(data);
          cache.cachedBytes_ += size;
          return;
        }
        unmap = size;
      }
    }
    if (unmap > 0) {
      munmap(data, unmap);  // a large block freed while the cache is off
    } else {
      free(data);  // a small block (posix_memalign)
    }
  }

  mutable std::mutex mutex_;
  std::unordered_map<void*, size_t> live_;     // large blocks in use -> their size
  std::map<size_t, std::vector<void*>> free_;  // cached blocks by size
  size_t liveBytes_ = 0, cachedBytes_ = 0, peakLiveBytes_ = 0;
  size_t hits_ = 0, misses_ = 0, resizes_ = 0, evictions_ = 0, mappedBytes_ = 0;
  bool enabled_ = true;
};

#if defined(__GLIBC__)
struct AllocatorOption {
  const char* name;
  int param;
};

// The mallopt() parameters the TS side may set; one table so that names and codes cannot drift apart.
constexpr AllocatorOption kAllocatorOptions[] = {
    {"mmapThreshold", M_MMAP_THRESHOLD},
    {"trimThreshold", M_TRIM_THRESHOLD},
    {"topPad", M_TOP_PAD},
    {"arenaMax", M_ARENA_MAX},
};
#endif

// Empties the tensor cache and returns glibc's free pages to the OS (malloc_trim(0)).
Napi::Value ReleaseFreeMemory(Info info) {
  TensorCache::Instance().Clear();
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
  return info.Env().Undefined();
}

Napi::Value AllocatorStats(Info info) {
  Napi::Env env = info.Env();
  auto number = [&](size_t value) { return Napi::Number::New(env, static_cast<double>(value)); };
  const TensorCache::Stats cache = TensorCache::Instance().Snapshot();
  Napi::Object stats = Napi::Object::New(env);
  stats.Set("cacheEnabled", Napi::Boolean::New(env, c10::GetCPUAllocator() == &TensorCache::Instance()));
  stats.Set("liveBytes", number(cache.liveBytes));
  stats.Set("cachedBytes", number(cache.cachedBytes));
  stats.Set("peakLiveBytes", number(cache.peakLiveBytes));
  stats.Set("hits", number(cache.hits));
  stats.Set("misses", number(cache.misses));
  stats.Set("resizes", number(cache.resizes));
  stats.Set("evictions", number(cache.evictions));
  stats.Set("mappedBytes", number(cache.mappedBytes));
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  const struct mallinfo2 m = mallinfo2();
  stats.Set("mallocHeapBytes", number(m.arena));
  stats.Set("mallocInUseBytes", number(m.uordblks));
  stats.Set("mallocFreeBytes", number(m.fordblks));
#endif
  return stats;
}

// Switches new CPU tensors between the tensor cache and libtorch's default allocator. Tensors keep the deleter
// of the allocator that made them, so switching at any time is safe.
Napi::Value SetTensorCache(Info info) {
  const bool enabled = BoolArg(info, 0);
  // Priority 1 beats the default allocator's registration (0) and lets a later call switch back.
  c10::SetCPUAllocator(enabled ? static_cast<c10::Allocator*>(&TensorCache::Instance()) : c10::GetDefaultCPUAllocator(),
                       1);
  TensorCache::Instance().SetEnabled(enabled);
  if (!enabled) TensorCache::Instance().Clear();
  return info.Env().Undefined();
}

// mallopt(name, value): true when glibc accepted it, false without glibc. Unknown names are a TypeError.
Napi::Value SetAllocatorOption(Info info) {
  const std::string name = StringArg(info, 0);
  const int64_t value = IntArg(info, 1);
#if defined(__GLIBC__)
  for (const auto& option : kAllocatorOptions) {
    if (name == option.name) return Napi::Boolean::New(info.Env(), mallopt(option.param, static_cast<int>(value)) == 1);
  }
  throw Napi::TypeError::New(info.Env(), "unknown allocator option '" + name + "'");
#else
  (void)value;
  return Napi::Boolean::New(info.Env(), false);
#endif
}

}  // namespace

void RegisterMemory(Napi::Env env, Napi::Object exports) {
  // On by default (ARCHITECTURE.md, "Memory"); EFFICIENTECG_TENSOR_CACHE=0 or setTensorCache(false) turns it off.
  // Once per process: a worker thread loading the addon again must not undo a caller's setTensorCache(false).
  static std::once_flag installed;
  std::call_once(installed, [] {
    const char* flag = std::getenv("EFFICIENTECG_TENSOR_CACHE");
    if (flag == nullptr || std::string(flag) != "0") c10::SetCPUAllocator(&TensorCache::Instance(), 1);
  });
  Export(env, exports, "releaseFreeMemory", ReleaseFreeMemory);
  Export(env, exports, "allocatorStats", AllocatorStats);
  Export(env, exports, "setTensorCache", SetTensorCache);
  Export(env, exports, "setAllocatorOption", SetAllocatorOption);
}

}  // namespace eecg
