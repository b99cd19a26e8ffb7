{
  "targets": [
    {
      "target_name": "int8cal_native",
      "sources": [
        "native/core/byte_io.cc",
        "native/core/cpu_features.cc",
        "native/core/histogram.cc",
        "native/core/linear_bins.cc",
        "native/core/quant_error.cc",
        "native/core/thresholds.cc",
        "native/core/trt_histogram.cc",
        "native/core/value_histogram.cc",
        "native/core/value_stats.cc",
        "native/napi/accumulate_worker.cc",
        "native/napi/addon.cc",
        "native/napi/common.cc",
        "native/napi/histogram_wrap.cc",
        "native/napi/quant_error_worker.cc",
        "native/napi/release_arrays.cc",
        "native/napi/threshold_worker.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_CPP_EXCEPTIONS"
      ],
      "cflags!": [
        "-fno-exceptions"
      ],
      "cflags_cc!": [
        "-fno-exceptions",
        "-std=gnu++17"
      ],
      "cflags_cc": [
        "-std=c++17",
        "-O3",
        "-fexceptions"
      ],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": [
          "-O3"
        ]
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "AdditionalOptions": [
            "/std:c++17"
          ]
        }
      },
      "variables": {
        "trt_include": "<!(node native/tensorrt/find-headers.cjs tensorrt)",
        "cuda_include": "<!(node native/tensorrt/find-headers.cjs cuda)"
      },
      "conditions": [
        [
          "trt_include!=\"\" and cuda_include!=\"\" and OS==\"linux\"",
          {
            "sources": [
              "native/tensorrt/addon_tensorrt.cc",
              "native/tensorrt/batch_handoff.cc",
              "native/tensorrt/build_worker.cc",
              "native/tensorrt/engine_wrap.cc",
              "native/tensorrt/trt_library.cc"
            ],
            "include_dirs": [
              "<(trt_include)",
              "<(cuda_include)"
            ],
            "defines": [
              "INT8CAL_TENSORRT"
            ],
            "cflags_cc": [
              "-Wno-deprecated-declarations"
            ],
            "libraries": [
              "-ldl"
            ]
          }
        ]
      ]
    }
  ]
}
