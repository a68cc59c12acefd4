{
  "variables": {
    "native_dir%": "<!(node scripts/native-dir.cjs)"
  },
  "targets": [
    {
      "target_name": "osmo_io",
      "sources": ["<!@(node scripts/native-dir.cjs --sources)"],
      "include_dirs": ["<(native_dir)/include", "<(native_dir)/src"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
