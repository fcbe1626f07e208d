/* The JS-facing functions of the ChannelData fast path (udp-forward.c; contract in src/node/batch-udp-addon.ts). */
#include <math.h>

#define MAX_TTL_MS 86400000.0 /* a day: longer than any TURN lifetime (3600 s) */

static int fwd_init(ctx_t *c) {
  if (c->fwd != NULL) return 0;
  struct fwd_s *t = calloc(1, sizeof *t);
  if (t == NULL) return -ENOMEM;
  t->nb = 1024;
  t->fb = calloc(t->nb, sizeof *t->fb);
  t->rb = calloc(t->nb, sizeof *t->rb);
  t->top = 1;
  t->limit = MAX_ROUTES;
  if (t->fb == NULL || t->rb == NULL) {
    free(t->fb);
    free(t->rb);
    free(t);
    return -ENOMEM;
  }
  c->fwd = t;
  return 0;
}

/* Doubles the buckets when there are as many routes as buckets; 0 or -ENOMEM. */
static int grow_buckets(struct fwd_s *t) {
  if (t->count < t->nb || t->nb >= MAX_ROUTES) return 0;
  uint32_t nb = t->nb * 2, *fb = calloc(nb, sizeof *fb), *rb = calloc(nb, sizeof *rb);
  if (fb == NULL || rb == NULL) {
    free(fb);
    free(rb);
    return -ENOMEM;
  }
  free(t->fb);
  free(t->rb);
  t->fb = fb;
  t->rb = rb;
  t->nb = nb;
  for (uint32_t i = 1; i < t->top; i++) {
    route_t *r = &t->r[i];
    if (!r->used) continue;
    uint32_t f = fhash(t, r), b = rhash(t, r);
    r->fnext = fb[f];
    fb[f] = i;
    r->rnext = rb[b];
    rb[b] = i;
  }
  return 0;
}

/* A free route slot (1-based), or 0 without memory. */
static uint32_t new_route(struct fwd_s *t) {
  if (t->free_head != 0) {
    uint32_t i = t->free_head;
    t->free_head = t->r[i].fnext;
    return i;
  }
  if (t->top >= t->cap) {
    uint32_t cap = t->cap == 0 ? 256 : t->cap * 2;
    if (cap > MAX_ROUTES + 1) cap = MAX_ROUTES + 1;
    if (cap <= t->top) return 0;
    route_t *r = realloc(t->r, (size_t)cap * sizeof *r);
    if (r == NULL) return 0;
    memset(r + t->cap, 0, (size_t)(cap - t->cap) * sizeof *r);
    t->r = r;
    t->cap = cap;
  }
  return t->top++;
}

static int insert_route(ctx_t *c, sock_t *l, const faddr_t *client, uint16_t channel, sock_t *s, const faddr_t *peer, int64_t deadline, int64_t quota) {
  struct fwd_s *t = c->fwd;
  uint32_t i = find_fwd(t, l->id, client, channel), j = find_rev(t, s->id, peer);
  if (i != 0 && i == j) { /* the same route: a new deadline */
    t->r[i].deadline = deadline;
    t->r[i].quota = quota;
    return 0;
  }
  if (i != 0) remove_route(c, i); /* the channel now goes to another peer */
  if (j != 0 && j != i) remove_route(c, j); /* the peer had another channel */
  if (t->count >= t->limit) return -ENOSPC;
  if (grow_buckets(t) != 0) return -ENOMEM;
  uint32_t k = new_route(t);
  if (k == 0) return -ENOMEM;
  route_t *r = &t->r[k];
  *r = (route_t){.lid = l->id, .rid = s->id, .client = *client, .peer = *peer, .deadline = deadline, .quota = quota, .channel = channel, .used = 1};
  uint32_t f = fhash(t, r), b = rhash(t, r);
  r->fnext = t->fb[f];
  t->fb[f] = k;
  r->rnext = t->rb[b];
  t->rb[b] = k;
  link_lists(c, k, l, s);
  t->count++;
  return 0;
}

/* An address of a socket's family and a port other than 0, as a route key; 0 or -EINVAL. */
static int route_addr(napi_env env, sock_t *s, napi_value addr, napi_value port, faddr_t *out) {
  struct sockaddr_storage a;
  socklen_t alen;
  if (parse_addr(env, s->family, addr, port, &a, &alen) != 0 || to_faddr(&a, out) != 0 || out->port == 0) return -EINVAL;
  return 0;
}

static int route_channel(napi_env env, napi_value v, uint16_t *channel) {
  int32_t n;
  if (napi_get_value_int32(env, v, &n) != napi_ok || n < 0x4000 || n > 0x7fff) return -EINVAL;
  *channel = (uint16_t)n;
  return 0;
}

/* setRoute(listenerId, clientAddr, clientPort, channel, relayId, peerAddr, peerPort, ttlMs, quotaId) -> 0 | -errno (quotaId 0: none) */
static napi_value js_set_route(napi_env env, napi_callback_info info) {
  napi_value argv[9];
  ctx_t *c;
  faddr_t client, peer;
  uint16_t channel;
  double ttl;
  int64_t quota;
  if (get_args(env, info, 9, argv, &c) != 0 || napi_get_value_int64(env, argv[8], &quota) != napi_ok) return num(env, -EINVAL);
  if (quota != 0 && find_quota(c, quota) == NULL) return num(env, -ENOENT);
  sock_t *l = arg_sock(env, c, argv[0]), *s = arg_sock(env, c, argv[4]);
  if (l == NULL || s == NULL) return num(env, -EBADF);
  if (l == s || route_channel(env, argv[3], &channel) != 0 || route_addr(env, l, argv[1], argv[2], &client) != 0 ||
      route_addr(env, s, argv[5], argv[6], &peer) != 0 || napi_get_value_double(env, argv[7], &ttl) != napi_ok || !isfinite(ttl) || ttl <= 0 || ttl > MAX_TTL_MS)
    return num(env, -EINVAL);
  int err = fwd_init(c);
  if (err != 0) return num(env, err);
  return num(env, insert_route(c, l, &client, channel, s, &peer, now_ms() + (int64_t)ttl, quota));
}

/* createQuota(bytesPerSecond) -> id (> 0) | -errno */
static napi_value js_create_quota(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ctx_t *c;
  double rate;
  if (get_args(env, info, 1, argv, &c) != 0 || napi_get_value_double(env, argv[0], &rate) != napi_ok || !isfinite(rate) || rate <= 0 || rate > 1e15)
    return num(env, -EINVAL);
  return num(env, (double)quota_create(c, rate));
}

/* deleteQuota(id) -> 0 | -ENOENT (its routes then hand their datagrams to JS) */
static napi_value js_delete_quota(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ctx_t *c;
  int64_t id;
  if (get_args(env, info, 1, argv, &c) != 0 || napi_get_value_int64(env, argv[0], &id) != napi_ok) return num(env, -EINVAL);
  quota_t *q = find_quota(c, id);
  if (q == NULL) return num(env, -ENOENT);
  quota_delete(c, q);
  return num(env, 0);
}

/* takeQuota(id, direction 0|1, bytes) -> 1 (within the rate) | 0 (over it) | -errno: the JS path's share of the same bucket */
static napi_value js_take_quota(napi_env env, napi_callback_info info) {
  napi_value argv[3];
  ctx_t *c;
  int64_t id;
  int32_t dir;
  double n;
  if (get_args(env, info, 3, argv, &c) != 0 || napi_get_value_int64(env, argv[0], &id) != napi_ok || napi_get_value_int32(env, argv[1], &dir) != napi_ok ||
      (dir != 0 && dir != 1) || napi_get_value_double(env, argv[2], &n) != napi_ok || !isfinite(n) || n < 0)
    return num(env, -EINVAL);
  quota_t *q = find_quota(c, id);
  return num(env, q == NULL ? -ENOENT : quota_take(q, dir, n, now_ms_f()));
}

/* deleteRoute(listenerId, clientAddr, clientPort, channel) -> 0 | -ENOENT | -errno */
static napi_value js_delete_route(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  ctx_t *c;
  faddr_t client;
  uint16_t channel;
  if (get_args(env, info, 4, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *l = arg_sock(env, c, argv[0]);
  if (l == NULL) return num(env, -EBADF);
  if (route_channel(env, argv[3], &channel) != 0 || route_addr(env, l, argv[1], argv[2], &client) != 0) return num(env, -EINVAL);
  uint32_t i = c->fwd == NULL ? 0 : find_fwd(c->fwd, l->id, &client, channel);
  if (i == 0) return num(env, -ENOENT);
  remove_route(c, i);
  return num(env, 0);
}

/* forwardStats(relayId) -> [packetsToPeers, bytesToPeers, packetsToClients, bytesToClients, drops] | -errno */
static napi_value js_forward_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1], out;
  ctx_t *c;
  if (get_args(env, info, 1, argv, &c) != 0) return num(env, -EINVAL);
  sock_t *s = arg_sock(env, c, argv[0]);
  if (s == NULL) return num(env, -EBADF);
  double v[5] = {s->fwd.to_peers, s->fwd.bytes_to_peers, s->fwd.to_clients, s->fwd.bytes_to_clients, s->fwd.drops};
  napi_create_array_with_length(env, 5, &out);
  for (uint32_t i = 0; i < 5; i++) napi_set_element(env, out, i, num(env, v[i]));
  return out;
}

/* setRouteLimit(n) -> 0 | -EINVAL: at most n routes (1..2^20; lower it to test the bound) */
static napi_value js_set_route_limit(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  ctx_t *c;
  int32_t n;
  if (get_args(env, info, 1, argv, &c) != 0 || napi_get_value_int32(env, argv[0], &n) != napi_ok || n < 1 || (uint32_t)n > MAX_ROUTES) return num(env, -EINVAL);
  int err = fwd_init(c);
  if (err != 0) return num(env, err);
  c->fwd->limit = (uint32_t)n;
  return num(env, 0);
}

/* routeCount() -> routes held now */
static napi_value js_route_count(napi_env env, napi_callback_info info) {
  ctx_t *c;
  if (napi_get_cb_info(env, info, NULL, NULL, NULL, (void **)&c) != napi_ok) return num(env, 0);
  return num(env, c->fwd == NULL ? 0 : c->fwd->count);
}
