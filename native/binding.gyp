{
  "targets": [
    {
      "target_name": "efficientecg_engine",
      "sources": ["engine.cc", "tensor.cc", "ops.cc", "memory.cc", "distributed.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "<!(node ../scripts/libtorch-paths.mjs include)",
        "<!(node ../scripts/libtorch-paths.mjs api-include)"
      ],
      "libraries": [
        "-L<!(node ../scripts/libtorch-paths.mjs lib)",
        "-Wl,-rpath,<!(node ../scripts/libtorch-paths.mjs lib)",
        "-ltorch", "-ltorch_cpu", "-lc10"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "conditions": [
        ["'<!(node ../scripts/libtorch-paths.mjs gloo)'=='true'", {
          "defines": ["EECG_DISTRIBUTED", "USE_C10D_GLOO", "USE_DISTRIBUTED"]
        }]
      ],
      "cflags!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O2", "-Wno-unused-parameter", "-Wno-deprecated-declarations"]
    }
  ]
}
