{
  "targets": [
    {
      "target_name": "strongroom_fs",
      "sources": ["src/strongroom_fs.c"],
      "cflags": ["-Wall", "-Wextra", "-O2"],
      "xcode_settings": { "OTHER_CFLAGS": ["-Wall", "-Wextra", "-O2"] }
    }
  ]
}
