{
  "variables": {
    "native_dir%": "<!(node scripts/native-dir.cjs)"
  },
  "targets": [
    {
      "target_name": "osmo_io",
      "sources": ["<!@(node scripts/native-dir.cjs --sources)"],
      "include_dirs": ["<(native_dir)/include", "<(native_dir)/src", "<!(node -p \"require('node-addon-api').include_dir\")"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED",
                  "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"],
      "cflags_cc": ["-std=gnu++17", "-fexceptions"],
      "cflags_cc!": ["-fno-exceptions"],
      "cflags!": ["-fno-exceptions"]
    }
  ]
}
