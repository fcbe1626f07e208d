/*
 * The few libuv 1.x declarations the addon needs. The node binary exports libuv, and its ABI is
 * stable within major version 1 (checked at load: uv_version() and uv_handle_size()), so no uv.h
 * (which node-api-headers does not ship) is needed. Handles are opaque blocks of uv_handle_size()
 * bytes; their first field is `void *data` (UV_HANDLE_FIELDS).
 */
#ifndef NATKIT_UV_MIN_H
#define NATKIT_UV_MIN_H
#include <stddef.h>

typedef struct uv_loop_s uv_loop_t;
typedef struct {
  void *data;
} uv_handle_t;

/* uv_handle_type values of libuv 1.x (UV_HANDLE_TYPE_MAP order, after UV_UNKNOWN_HANDLE = 0) */
enum { UV_CHECK_TYPE = 2, UV_POLL_TYPE = 8, UV_PREPARE_TYPE = 9 };
enum { UV_READABLE = 1, UV_WRITABLE = 2 };

typedef void (*uv_poll_cb)(void *handle, int status, int events);
typedef void (*uv_phase_cb)(void *handle);
typedef void (*uv_close_cb)(void *handle);

extern unsigned int uv_version(void);
extern size_t uv_handle_size(int type);
extern int uv_poll_init_socket(uv_loop_t *loop, void *handle, int fd);
extern int uv_poll_start(void *handle, int events, uv_poll_cb cb);
extern int uv_poll_stop(void *handle);
extern int uv_prepare_init(uv_loop_t *loop, void *handle);
extern int uv_prepare_start(void *handle, uv_phase_cb cb);
extern int uv_check_init(uv_loop_t *loop, void *handle);
extern int uv_check_start(void *handle, uv_phase_cb cb);
extern void uv_unref(void *handle);
extern void uv_close(void *handle, uv_close_cb cb);

#endif
