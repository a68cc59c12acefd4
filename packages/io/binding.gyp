{
  "targets": [
    {
      "target_name": "osmo_io",
      "sources": [
        "../../native/src/ctx.c",
        "../../native/src/iofd.c",
        "../../native/src/txqueue.c",
        "../../native/src/segment.c",
        "../../native/src/backend_poll.c",
        "../../native/src/backend_uring.c",
        "../../native/src/ring.c",
        "../../native/src/bufring.c",
        "../../native/src/sock.c",
        "src/addon/addon.c",
        "src/addon/uv_loop.c",
        "src/addon/events.c",
        "src/addon/iofd_napi.c",
        "src/addon/sock_napi.c"
      ],
      "include_dirs": ["../../native/include", "../../native/src"],
      "defines": ["_GNU_SOURCE", "NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-O2", "-Wall", "-Wextra", "-Wno-unused-parameter", "-Wno-missing-field-initializers", "-fvisibility=hidden"],
      "cflags_c": ["-std=gnu11"]
    }
  ]
}
