/* The functions udp-batch.c exports to JS (see src/node/batch-udp-addon.ts for their contract). */
static sock_t *arg_sock(napi_env env, ctx_t *c, napi_value v) {
  int64_t id;
  return napi_get_value_int64(env, v, &id) == napi_ok ? find(c, id) : NULL;
}

static napi_value num(napi_env env, double x) {
  napi_value v;
  napi_create_double(env, x, &v);
  return v;
}

/* An IP literal of `family` (IPv6 with an optional `%zone`) and a port into a sockaddr; 0 or -errno. */
static int parse_addr(napi_env env, int family, napi_value text, napi_value portv, struct sockaddr_storage *out, socklen_t *alen) {
  char buf[64];
  size_t n = 0;
  int32_t port;
  if (napi_get_value_string_latin1(env, text, buf, sizeof buf, &n) != napi_ok || n >= sizeof buf - 1 || strlen(buf) != n) return -EINVAL;
  if (napi_get_value_int32(env, portv, &port) != napi_ok || port < 0 || port > 65535) return -EINVAL;
  memset(out, 0, sizeof *out);
  if (family == 4) {
    struct sockaddr_in *a = (struct sockaddr_in *)out;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, buf, &a->sin_addr) != 1) return -EINVAL;
    *alen = sizeof *a;
  } else {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)out;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    int err = parse_scoped_ipv6(buf, a);
    if (err != 0) return err;
    *alen = sizeof *a;
  }
  return 0;
}

static int get_args(napi_env env, napi_callback_info info, size_t want, napi_value *argv, ctx_t **c) {
  size_t argc = want;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, (void **)c) != napi_ok || argc < want) return -1;
  return 0;
}

/* open(family, address, port, reusePort, receiveBufferSize, sendBufferSize) -> id | -errno */
static napi_value js_open(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  ctx_t *c;
  int32_t family, rcv, snd;
  bool reuse;
  struct sockaddr_storage addr;
  socklen_t alen;
  if (get_args(env, info, 6, argv, &c) != 0 || napi_get_value_int32(env, argv[0], &family) != napi_ok || (family != 4 && family != 6) ||
      napi_get_value_bool(env, argv[3], &reuse) != napi_ok || napi_get_value_int32(env, argv[4], &rcv) != napi_ok ||
      napi_get_value_int32(env, argv[5], &snd) != napi_ok)
    return num(env, -EINVAL);
  int bad = parse_addr(env, family, argv[1], argv[2], &addr, &alen);
  if (bad != 0) return num(env, bad);
  if (c->nsocks >= (1u << SLOT_BITS)) return num(env, -EMFILE);
  int fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return num(env, -errno);
  int one = 1, err = 0;
  if (family == 6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) err = errno;
  if (err == 0 && reuse && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) err = errno;
  if (err == 0 && rcv > 0 && setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof rcv) != 0) err = errno;
  if (err == 0 && snd > 0 && setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof snd) != 0) err = errno;
  if (err == 0 && bind(fd, (struct sockaddr *)&addr, alen) != 0) err = errno;
  sock_t *s = err == 0 ? calloc(1, sizeof *s) : NULL;
  void *poll = s != NULL ? calloc(1, uv_handle_size(UV_POLL_TYPE)) : NULL;
  if (err == 0 && poll == NULL) err = ENOMEM;
  if (err == 0 && uv_poll_init_socket(c->loop, poll, fd) != 0) err = EBADF;
  if (err != 0) {
    free(poll);
    free(s);
    close(fd);
    return num(env, -err);
  }
  uint32_t slot = 0;
  while (slot < c->nsocks && c->socks[slot] != NULL) slot++;
  if (slot == c->nsocks) {
    sock_t **grown = realloc(c->socks, sizeof(sock_t *) * (c->nsocks * 2 + 16));
    if (grown == NULL) { /* the handle is initialised: it must be closed through libuv */
      ((uv_handle_t *)poll)->data = NULL;
      uv_close(poll, free);
      close(fd);
      free(s);
      return num(env, -ENOMEM);
    }
    memset(grown + c->nsocks, 0, sizeof(sock_t *) * (c->nsocks + 16));
    c->socks = grown;
    c->nsocks = c->nsocks * 2 + 16;
  }
  c->gen = (c->gen + 1) & 0x3fffff;
  s->ctx = c;
  s->id = ((int64_t)c->gen << SLOT_BITS) | slot;
  s->fd = fd;
  s->family = family;
  s->poll = poll;
  ((uv_handle_t *)poll)->data = s;
  c->socks[slot] = s;
  set_events(s, UV_READABLE);
  return num(env, (double)s->id);
}

/* connect(id, address, port) -> 0 | -errno */
static napi_value js_connect(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  ctx_t *c;
  struct sockaddr_storage addr;
  socklen_t alen;
  if (get_args(env, info, 3, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  int bad = parse_addr(env, s->family, argv[1], argv[2], &addr, &alen);
  if (bad != 0) return num(env, bad);
  return num(env, connect(s->fd, (struct sockaddr *)&addr, alen) == 0 ? 0 : -errno);
}

/* local(id) -> [address, port] | -errno */
static napi_value js_local(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, a, p;
  ctx_t *c;
  struct sockaddr_storage addr;
  socklen_t alen = sizeof addr;
  char buf[INET6_ADDRSTRLEN + IF_NAMESIZE];
  if (get_args(env, info, 1, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  if (getsockname(s->fd, (struct sockaddr *)&addr, &alen) != 0) return num(env, -errno);
  const void *ip = addr.ss_family == AF_INET ? (const void *)&((struct sockaddr_in *)&addr)->sin_addr : (const void *)&((struct sockaddr_in6 *)&addr)->sin6_addr;
  int port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port : ((struct sockaddr_in6 *)&addr)->sin6_port);
  if (inet_ntop(addr.ss_family, ip, buf, sizeof buf) == NULL) return num(env, -errno);
  if (addr.ss_family == AF_INET6) append_zone(buf, sizeof buf, (struct sockaddr_in6 *)&addr);
  napi_create_array_with_length(env, 2, &out);
  napi_create_string_latin1(env, buf, NAPI_AUTO_LENGTH, &a);
  napi_create_int32(env, port, &p);
  napi_set_element(env, out, 0, a);
  napi_set_element(env, out, 1, p);
  return out;
}

/* The datagram and destination of send/enqueue; 0 or -errno. argv: id, data, address|null, port */
static int send_args(napi_env env, napi_value *argv, sock_t *s, uint8_t **data, size_t *len, struct sockaddr_storage *addr, socklen_t *alen) {
  napi_typedarray_type type;
  napi_value ab;
  size_t off;
  napi_valuetype t;
  if (napi_get_typedarray_info(env, argv[1], &type, len, (void **)data, &ab, &off) != napi_ok || type != napi_uint8_array) return -EINVAL;
  if (*len > 65535) return -EMSGSIZE;
  if (napi_typeof(env, argv[2], &t) != napi_ok) return -EINVAL;
  if (t == napi_null) {
    *alen = 0;
    return 0;
  }
  return parse_addr(env, s->family, argv[2], argv[3], addr, alen);
}

/* send(id, data, address|null, port) -> 0 (staged) | backlog bytes (> 0: not sent; see enqueue) | -errno */
static napi_value js_send(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  ctx_t *c;
  uint8_t *data = NULL;
  size_t len = 0;
  if (get_args(env, info, 4, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  if (s->head != NULL) return num(env, s->backlog_bytes);
  if (c->nstage == STAGE_MAX || c->stage_used + 65535 > STAGE_BYTES) flush_stage(c);
  stage_t *e = &c->ent[c->nstage];
  int err = send_args(env, argv, s, &data, &len, &e->addr, &e->alen);
  if (err != 0) return num(env, err);
  if (s->head != NULL) return num(env, s->backlog_bytes); /* the flush above met EAGAIN */
  e->id = s->id;
  e->off = c->stage_used;
  e->len = (uint32_t)len;
  if (len > 0) memcpy(c->stage + c->stage_used, data, len);
  c->stage_used += (uint32_t)len;
  c->nstage++;
  return num(env, 0);
}

/* enqueue(id, data, address|null, port) -> 0 | -errno: appends to the backlog (admitted by JS) */
static napi_value js_enqueue(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  ctx_t *c;
  uint8_t *data = NULL;
  size_t len = 0;
  struct sockaddr_storage addr;
  socklen_t alen;
  if (get_args(env, info, 4, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  int err = send_args(env, argv, s, &data, &len, &addr, &alen);
  if (err != 0) return num(env, err);
  append_backlog(s, NULL, 0, data, (uint32_t)len, &addr, alen);
  return num(env, 0);
}

/* queued(id) -> bytes waiting in the backlog */
static napi_value js_queued(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ctx_t *c;
  if (get_args(env, info, 1, argv, &c) != 0) return num(env, 0);
  sock_t *s = arg_sock(env, c, argv[0]);
  return num(env, s == NULL ? 0 : s->backlog_bytes);
}

static void free_sock(void *handle) {
  sock_t *s = ((uv_handle_t *)handle)->data;
  free(handle);
  if (s == NULL) return;
  while (s->head != NULL) {
    pend_t *p = s->head;
    s->head = p->next;
    free(p);
  }
  free(s);
}

static void close_sock(ctx_t *c, sock_t *s) {
  fwd_forget_sock(c, s); /* before the slot is freed: no route may outlive its socket */
  c->socks[s->id & ((1 << SLOT_BITS) - 1)] = NULL;
  s->closing = 1;
  uv_poll_stop(s->poll); /* removes the fd from epoll now: closing it next is safe */
  close(s->fd);
  uv_close(s->poll, free_sock);
}

/* close(id): what is staged goes out first; the backlog is dropped; no callback after this */
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ctx_t *c;
  if (get_args(env, info, 1, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  if (c->nstage > 0) flush_stage(c);
  close_sock(c, s);
  return num(env, 0);
}

/* flush(): sends what is staged now (the JS side calls it on process 'exit') */
static napi_value js_flush(napi_env env, napi_callback_info info) {
  ctx_t *c;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&c) == napi_ok && c->nstage > 0) flush_stage(c);
  return NULL;
}

/* The environment ends (process exit, a worker thread's end): every handle is closed, so that its loop can close. */
static void cleanup(void *arg) {
  ctx_t *c = arg;
  if (c->nstage > 0) flush_stage(c);
  for (uint32_t i = 0; i < c->nsocks; i++) {
    if (c->socks[i] != NULL) close_sock(c, c->socks[i]);
  }
  fwd_free(c);
  if (c->prepare != NULL) uv_close(c->prepare, free);
  if (c->check != NULL) uv_close(c->check, free);
  c->prepare = c->check = NULL;
}

static int init_ctx(napi_env env, ctx_t *c, napi_value dispatch) {
  napi_value resource, name;
  if ((uv_version() >> 16) != 1 || uv_handle_size(UV_POLL_TYPE) < 16 || uv_handle_size(UV_POLL_TYPE) > 1024) return -1;
  if (napi_get_uv_event_loop(env, (struct uv_loop_s **)&c->loop) != napi_ok) return -1;
  if (napi_create_reference(env, dispatch, 1, &c->dispatch) != napi_ok) return -1;
  if (napi_create_object(env, &resource) != napi_ok || napi_create_reference(env, resource, 1, &c->resource) != napi_ok) return -1;
  if (napi_create_string_utf8(env, "natkit:udp-batch", NAPI_AUTO_LENGTH, &name) != napi_ok) return -1;
  if (napi_async_init(env, resource, name, &c->async) != napi_ok) return -1;
  c->stage = malloc(STAGE_BYTES);
  c->prepare = calloc(1, uv_handle_size(UV_PREPARE_TYPE));
  c->check = calloc(1, uv_handle_size(UV_CHECK_TYPE));
  if (c->stage == NULL || c->prepare == NULL || c->check == NULL) return -1;
  ((uv_handle_t *)c->prepare)->data = c;
  ((uv_handle_t *)c->check)->data = c;
  if (uv_prepare_init(c->loop, c->prepare) != 0 || uv_check_init(c->loop, c->check) != 0) return -1;
  uv_prepare_start(c->prepare, on_phase);
  uv_check_start(c->check, on_phase);
  uv_unref(c->prepare);
  uv_unref(c->check);
  return 0;
}

/* init(dispatch) -> [arena, meta, batch, slot, text, metaInts]: once per JS environment */
static napi_value js_init(napi_env env, napi_callback_info info) {
  napi_value argv[1], out, v[6];
  ctx_t *c;
  void *arena, *meta;
  if (get_args(env, info, 1, argv, &c) != 0 || c->loop != NULL) {
    napi_throw_error(env, "ERR_BAD_OPTION", "udp-batch: init(dispatch) once");
    return NULL;
  }
  if (init_ctx(env, c, argv[0]) != 0 || napi_create_arraybuffer(env, (size_t)BATCH * SLOT, &arena, &v[0]) != napi_ok ||
      napi_create_arraybuffer(env, (size_t)BATCH * (META_INTS * 4 + TEXT), &meta, &v[1]) != napi_ok) {
    napi_throw_error(env, "ERR_BIND", "udp-batch: cannot set up (libuv or memory)");
    return NULL;
  }
  c->arena = arena;
  c->meta = meta;
  c->text = (char *)meta + BATCH * META_INTS * 4;
  napi_create_reference(env, v[0], 1, &c->arena_ref);
  napi_create_reference(env, v[1], 1, &c->meta_ref);
  napi_create_int32(env, BATCH, &v[2]);
  napi_create_int32(env, SLOT, &v[3]);
  napi_create_int32(env, TEXT, &v[4]);
  napi_create_int32(env, META_INTS, &v[5]);
  napi_create_array_with_length(env, 6, &out);
  for (uint32_t i = 0; i < 6; i++) napi_set_element(env, out, i, v[i]);
  napi_add_env_cleanup_hook(env, cleanup, c);
  return out;
}

#include "udp-forward-api.c"

NAPI_MODULE_INIT() {
  ctx_t *c = calloc(1, sizeof *c);
  if (c == NULL) return NULL;
  c->env = env;
  napi_set_instance_data(env, c, NULL, NULL);
  static const struct { const char *name; napi_callback fn; } fns[] = {
    {"init", js_init}, {"open", js_open}, {"connect", js_connect}, {"local", js_local},
    {"send", js_send}, {"enqueue", js_enqueue}, {"queued", js_queued}, {"close", js_close}, {"flush", js_flush},
    {"setRoute", js_set_route}, {"deleteRoute", js_delete_route}, {"forwardStats", js_forward_stats},
    {"setRouteLimit", js_set_route_limit}, {"routeCount", js_route_count},
    {"createQuota", js_create_quota}, {"deleteQuota", js_delete_quota}, {"takeQuota", js_take_quota},
  };
  for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
    napi_value f;
    if (napi_create_function(env, fns[i].name, NAPI_AUTO_LENGTH, fns[i].fn, c, &f) != napi_ok) return NULL;
    if (napi_set_named_property(env, exports, fns[i].name, f) != napi_ok) return NULL;
  }
  return exports;
}
