/*
 * Strongroom's native file-system calls: the ones Node does not offer. Plain N-API (ABI-stable: one
 * build serves every Node version). Errors are thrown as Node's are: an Error whose `code` is the
 * errno name (EPERM, ENOENT, ...).
 *
 *   futimens(fd, sec, nsec)        atime and mtime of an open file, to the nanosecond
 *   lutimens(path, sec, nsec)      the same by name, never following a symlink (the link's own times)
 *
 * `sec` is a BigInt (any time_t, before 1901 too), `nsec` a number in [0, 1e9).
 */
#define NAPI_VERSION 8
#include <node_api.h>
#include <uv.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#ifndef _WIN32
#include <fcntl.h>
#include <sys/stat.h>
#endif

static napi_value throw_errno(napi_env env, int err, const char *syscall) {
  char message[256];
  const char *name = uv_err_name(uv_translate_sys_error(err));
  snprintf(message, sizeof message, "%s: %s, %s", name, strerror(err), syscall);
  napi_value code, msg, error;
  napi_create_string_utf8(env, name, NAPI_AUTO_LENGTH, &code);
  napi_create_string_utf8(env, message, NAPI_AUTO_LENGTH, &msg);
  napi_create_error(env, code, msg, &error);
  napi_throw(env, error);
  return NULL;
}

static napi_value throw_type(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

#ifndef _WIN32
/* Reads (sec: BigInt, nsec: number) from argv[first], argv[first + 1] into both entries of `ts`. */
static int read_time(napi_env env, napi_value *argv, int first, struct timespec ts[2]) {
  int64_t sec;
  bool lossless;
  uint32_t nsec;
  if (napi_get_value_bigint_int64(env, argv[first], &sec, &lossless) != napi_ok || !lossless) {
    throw_type(env, "seconds must be a BigInt that fits in 64 bits");
    return 0;
  }
  if (napi_get_value_uint32(env, argv[first + 1], &nsec) != napi_ok || nsec >= 1000000000u) {
    throw_type(env, "nanoseconds must be a number from 0 to 999999999");
    return 0;
  }
  if ((int64_t)(time_t)sec != sec) {
    throw_errno(env, EOVERFLOW, "utimensat");
    return 0;
  }
  ts[0].tv_sec = ts[1].tv_sec = (time_t)sec;
  ts[0].tv_nsec = ts[1].tv_nsec = (long)nsec;
  return 1;
}

static napi_value js_futimens(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 3) return throw_type(env, "futimens(fd, sec, nsec)");
  int32_t fd;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok) return throw_type(env, "fd must be a number");
  struct timespec ts[2];
  if (!read_time(env, argv, 1, ts)) return NULL;
  if (futimens(fd, ts) != 0) return throw_errno(env, errno, "futimens");
  return NULL;
}

/* A path as a string (UTF-8) or a Buffer (any bytes but NUL); malloc'd, NULL after throwing. */
static char *read_path(napi_env env, napi_value value) {
  bool is_buffer;
  napi_is_buffer(env, value, &is_buffer);
  if (is_buffer) {
    void *data;
    size_t length;
    napi_get_buffer_info(env, value, &data, &length);
    if (memchr(data, 0, length) != NULL) {
      throw_type(env, "a path cannot hold a NUL byte");
      return NULL;
    }
    char *p = malloc(length + 1);
    if (p == NULL) return NULL;
    memcpy(p, data, length);
    p[length] = '\0';
    return p;
  }
  size_t length;
  if (napi_get_value_string_utf8(env, value, NULL, 0, &length) != napi_ok) {
    throw_type(env, "path must be a string or a Buffer");
    return NULL;
  }
  char *p = malloc(length + 1);
  if (p == NULL) return NULL;
  napi_get_value_string_utf8(env, value, p, length + 1, &length);
  if (strlen(p) != length) {
    free(p);
    throw_type(env, "a path cannot hold a NUL byte");
    return NULL;
  }
  return p;
}

static napi_value js_lutimens(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc != 3) return throw_type(env, "lutimens(path, sec, nsec)");
  struct timespec ts[2];
  if (!read_time(env, argv, 1, ts)) return NULL;
  char *path = read_path(env, argv[0]);
  if (path == NULL) return NULL;
  int rc = utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW);
  int err = errno;
  free(path);
  if (rc != 0) return throw_errno(env, err, "utimensat");
  return NULL;
}
#endif

static napi_value init(napi_env env, napi_value exports) {
#ifndef _WIN32
  napi_property_descriptor props[] = {
      {"futimens", NULL, js_futimens, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lutimens", NULL, js_lutimens, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
#endif
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
