/*
 * The ChannelData fast path (TURN, RFC 8656 §12): routes that JS installs (udp-forward-api.c) let
 * the poll callback relay datagrams itself, with no call into JS per packet, as a kernel
 * forwarder or coturn's relay threads do. A route is
 *   (listener id, client address, channel) <-> (relay id, peer address), with a deadline.
 * From a listener: ChannelData (first byte 0x40-0x7F, 4 + declared length <= datagram length;
 * UDP padding optional, extra bytes ignored, RFC 8656 §12.5) on a live route -> its payload goes
 * from the relay socket to the peer. From a relay socket: a datagram from a routed peer -> a
 * ChannelData header + the payload (two iovecs, no copy) go from the listener to the client.
 * Everything else, and every datagram of a source after one of its datagrams went to JS in the
 * same batch (a Refresh with LIFETIME 0 must be seen before what follows it), goes to JS
 * unchanged. Consumed datagrams get length -2 in the metadata (JS skips lengths < 0).
 * Routes name sockets by id (slot + generation): a closed socket's routes are removed at close;
 * a route whose socket is not found is a miss and is removed. The table is bounded (setRoute
 * answers -ENOSPC beyond the limit) and so is what waits for a congested socket (FWD_BACKLOG).
 * Included by udp-batch.c (one translation unit).
 */
#include <time.h>

#include "udp-quota.c"

#define MAX_ROUTES (1u << 20)
#define FWD_BACKLOG (32 * 1024) /* forwarded bytes a backlog may hold: the rest of JS's 64 KiB bound stays for its own answers */
#define MAX_FWD_PAYLOAD (0xffff - 64) /* what relayFromPeer relays as ChannelData (relay-data.ts) */

typedef struct {
  uint8_t family; /* 4 or 6 */
  uint8_t zero;
  uint16_t port;  /* network order */
  uint8_t ip[16]; /* IPv4 in the first 4 bytes, the rest zero */
} faddr_t;

typedef struct {
  int64_t lid, rid;
  faddr_t client, peer;
  int64_t deadline; /* CLOCK_MONOTONIC ms */
  int64_t quota;    /* its allocation's bandwidth quota (udp-quota.c), 0: none */
  uint16_t channel;
  uint8_t used;
  uint32_t fnext, rnext; /* hash chains (1-based route indices, 0: end); fnext also links the free list */
  uint32_t lnext, lprev; /* the listener socket's routes */
  uint32_t snext, sprev; /* the relay socket's routes */
} route_t;

typedef struct {
  sock_t *from;
  sock_t *acct; /* the relay socket whose counters it is on */
  uint8_t hdr[4];
  int niov;
  struct iovec iov[2];
  struct sockaddr_storage to;
  socklen_t tlen;
} fwd_out_t;

struct fwd_s {
  route_t *r; /* r[0] unused */
  uint32_t cap, top, count, limit, free_head; /* r[1..top) have been used; free ones are on the free list */
  uint32_t *fb, *rb, nb;
  int nout;
  fwd_out_t out[BATCH];
  struct mmsghdr msgs[BATCH];
  faddr_t tainted[BATCH];
  int ntainted;
};

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int to_faddr(const struct sockaddr_storage *a, faddr_t *f) {
  memset(f, 0, sizeof *f);
  if (a->ss_family == AF_INET) {
    const struct sockaddr_in *v4 = (const struct sockaddr_in *)a;
    f->family = 4;
    f->port = v4->sin_port;
    memcpy(f->ip, &v4->sin_addr, 4);
    return 0;
  }
  if (a->ss_family != AF_INET6) return -1;
  const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)a;
  if (v6->sin6_scope_id != 0) return -1; /* a zoned (link-local) address: not a route key, the JS path keeps it */
  f->family = 6;
  f->port = v6->sin6_port;
  memcpy(f->ip, &v6->sin6_addr, 16);
  return 0;
}

static socklen_t from_faddr(const faddr_t *f, struct sockaddr_storage *a) {
  memset(a, 0, sizeof *a);
  if (f->family == 4) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)a;
    v4->sin_family = AF_INET;
    v4->sin_port = f->port;
    memcpy(&v4->sin_addr, f->ip, 4);
    return sizeof *v4;
  }
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
  v6->sin6_family = AF_INET6;
  v6->sin6_port = f->port;
  memcpy(&v6->sin6_addr, f->ip, 16);
  return sizeof *v6;
}

static uint64_t mix(uint64_t x) { /* splitmix64's finalizer */
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

static uint32_t hash_key(int64_t id, const faddr_t *a, uint32_t channel, uint32_t nb) {
  uint64_t w[2];
  memcpy(w, a->ip, 16);
  uint64_t h = mix((uint64_t)id ^ ((uint64_t)channel << 40) ^ ((uint64_t)a->port << 24) ^ a->family);
  h = mix(h ^ w[0]);
  h = mix(h ^ w[1]);
  return (uint32_t)h & (nb - 1);
}

static uint32_t fhash(struct fwd_s *t, const route_t *r) { return hash_key(r->lid, &r->client, r->channel, t->nb); }
static uint32_t rhash(struct fwd_s *t, const route_t *r) { return hash_key(r->rid, &r->peer, 0x10000, t->nb); }

static uint32_t find_fwd(struct fwd_s *t, int64_t lid, const faddr_t *client, uint16_t channel) {
  for (uint32_t i = t->fb[hash_key(lid, client, channel, t->nb)]; i != 0; i = t->r[i].fnext) {
    route_t *r = &t->r[i];
    if (r->lid == lid && r->channel == channel && memcmp(&r->client, client, sizeof *client) == 0) return i;
  }
  return 0;
}

static uint32_t find_rev(struct fwd_s *t, int64_t rid, const faddr_t *peer) {
  for (uint32_t i = t->rb[hash_key(rid, peer, 0x10000, t->nb)]; i != 0; i = t->r[i].rnext) {
    route_t *r = &t->r[i];
    if (r->rid == rid && memcmp(&r->peer, peer, sizeof *peer) == 0) return i;
  }
  return 0;
}

static void unchain(uint32_t *head, uint32_t i, route_t *rs, int reverse) {
  uint32_t *p = head;
  while (*p != 0 && *p != i) p = reverse ? &rs[*p].rnext : &rs[*p].fnext;
  if (*p == i) *p = reverse ? rs[i].rnext : rs[i].fnext;
}

static void link_lists(ctx_t *c, uint32_t i, sock_t *l, sock_t *s) {
  route_t *r = &c->fwd->r[i];
  r->lprev = 0;
  r->lnext = l->lroutes;
  if (l->lroutes != 0) c->fwd->r[l->lroutes].lprev = i;
  l->lroutes = i;
  r->sprev = 0;
  r->snext = s->sroutes;
  if (s->sroutes != 0) c->fwd->r[s->sroutes].sprev = i;
  s->sroutes = i;
}

/* Removes route i from its chains and its sockets' lists (those sockets may be closing). */
static void remove_route(ctx_t *c, uint32_t i) {
  struct fwd_s *t = c->fwd;
  route_t *r = &t->r[i];
  if (!r->used) return;
  unchain(&t->fb[fhash(t, r)], i, t->r, 0);
  unchain(&t->rb[rhash(t, r)], i, t->r, 1);
  sock_t *l = c->socks[r->lid & ((1 << SLOT_BITS) - 1)], *s = c->socks[r->rid & ((1 << SLOT_BITS) - 1)];
  if (r->lprev != 0) t->r[r->lprev].lnext = r->lnext;
  else if (l != NULL && l->id == r->lid) l->lroutes = r->lnext;
  if (r->lnext != 0) t->r[r->lnext].lprev = r->lprev;
  if (r->sprev != 0) t->r[r->sprev].snext = r->snext;
  else if (s != NULL && s->id == r->rid) s->sroutes = r->snext;
  if (r->snext != 0) t->r[r->snext].sprev = r->sprev;
  memset(r, 0, sizeof *r);
  r->fnext = t->free_head;
  t->free_head = i;
  t->count--;
}

/* Every route of a socket that closes (its slot is about to be freed and may be reused). */
static void fwd_forget_sock(ctx_t *c, sock_t *s) {
  if (c->fwd == NULL) return;
  while (s->lroutes != 0) remove_route(c, s->lroutes);
  while (s->sroutes != 0) remove_route(c, s->sroutes);
}

static int taint_has(struct fwd_s *t, const faddr_t *a) {
  for (int k = 0; k < t->ntainted; k++)
    if (memcmp(&t->tainted[k], a, sizeof *a) == 0) return 1;
  return 0;
}

/* The route for datagram i of a batch on s, or 0 (it goes to JS). */
static uint32_t route_for(ctx_t *c, sock_t *s, int i, const faddr_t *src, double nowf) {
  int64_t now = (int64_t)nowf;
  struct fwd_s *t = c->fwd;
  uint32_t len = c->msgs[i].msg_len;
  const uint8_t *d = c->arena + (size_t)i * SLOT;
  uint32_t k = 0;
  if (s->lroutes != 0 && len >= 4 && d[0] >= 0x40 && d[0] <= 0x7f && 4u + ((uint32_t)d[2] << 8 | d[3]) <= len) {
    k = find_fwd(t, s->id, src, (uint16_t)(d[0] << 8 | d[1]));
  } else if (s->sroutes != 0 && len <= MAX_FWD_PAYLOAD) {
    k = find_rev(t, s->id, src);
  }
  if (k == 0) return 0;
  route_t *r = &t->r[k];
  sock_t *other = find(c, r->lid == s->id ? r->rid : r->lid);
  if (other == NULL) {
    remove_route(c, k); /* its other socket is gone */
    return 0;
  }
  if (r->deadline <= now) return 0;
  if (r->quota == 0) return k;
  /* over the quota (or the quota is gone): JS decides, asking the same bucket */
  quota_t *q = find_quota(c, r->quota);
  int to_peer = r->lid == s->id;
  double n = to_peer ? (double)((uint32_t)d[2] << 8 | d[3]) : (double)len;
  return q != NULL && quota_take(q, to_peer ? 0 : 1, n, nowf) ? k : 0;
}

static void queue_out(ctx_t *c, sock_t *s, int i, route_t *r) {
  struct fwd_s *t = c->fwd;
  fwd_out_t *o = &t->out[t->nout++];
  uint8_t *d = c->arena + (size_t)i * SLOT;
  if (r->lid == s->id) { /* client -> peer: the payload, from the relay socket */
    uint32_t n = (uint32_t)d[2] << 8 | d[3];
    o->from = o->acct = find(c, r->rid);
    o->niov = 1;
    o->iov[0] = (struct iovec){d + 4, n};
    o->tlen = from_faddr(&r->peer, &o->to);
  } else { /* peer -> client: a ChannelData header and the payload, from the listener */
    uint32_t n = c->msgs[i].msg_len;
    o->from = find(c, r->lid);
    o->acct = s;
    o->hdr[0] = (uint8_t)(r->channel >> 8);
    o->hdr[1] = (uint8_t)r->channel;
    o->hdr[2] = (uint8_t)(n >> 8);
    o->hdr[3] = (uint8_t)n;
    o->niov = 2;
    o->iov[0] = (struct iovec){o->hdr, 4};
    o->iov[1] = (struct iovec){d, n};
    o->tlen = from_faddr(&r->client, &o->to);
  }
}

/* Decides each datagram of a batch on s; returns how many are left for JS. */
static int fwd_batch(sock_t *s, int n) {
  ctx_t *c = s->ctx;
  struct fwd_s *t = c->fwd;
  double now = now_ms_f();
  int left = 0;
  t->ntainted = 0;
  for (int i = 0; i < n; i++) {
    faddr_t src;
    uint32_t k = 0;
    int ok = (c->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) == 0 && to_faddr(&c->names[i], &src) == 0;
    if (ok && (t->ntainted == 0 || !taint_has(t, &src))) k = route_for(c, s, i, &src, now);
    if (k != 0) {
      queue_out(c, s, i, &t->r[k]);
      c->meta[i * META_INTS] = -2;
      continue;
    }
    if (ok && !taint_has(t, &src)) t->tainted[t->ntainted++] = src;
    c->meta[i * META_INTS] = 0;
    left++;
  }
  return left;
}

static uint32_t out_len(const fwd_out_t *o) { return (uint32_t)(o->niov == 2 ? 4 + o->iov[1].iov_len : o->iov[0].iov_len); }

/* Sends what fwd_batch queued, one sendmmsg per sending socket; EAGAIN: into the backlog up to FWD_BACKLOG. */
static void fwd_flush(ctx_t *c) {
  struct fwd_s *t = c->fwd;
  if (t->nout == 0) return;
  if (c->nstage > 0) flush_stage(c); /* JS's staged answers (a ChannelBind success) leave first */
  for (int i = 0; i < t->nout; i++) {
    sock_t *s = t->out[i].from;
    if (s == NULL) continue;
    int idx[BATCH], k = 0;
    for (int j = i; j < t->nout; j++) {
      fwd_out_t *o = &t->out[j];
      if (o->from != s) continue;
      o->from = NULL;
      memset(&t->msgs[k].msg_hdr, 0, sizeof t->msgs[k].msg_hdr);
      t->msgs[k].msg_hdr.msg_iov = o->iov;
      t->msgs[k].msg_hdr.msg_iovlen = (size_t)o->niov;
      t->msgs[k].msg_hdr.msg_name = &o->to;
      t->msgs[k].msg_hdr.msg_namelen = o->tlen;
      idx[k++] = j;
    }
    int sent = s->head == NULL ? send_run(s, t->msgs, k) : 0;
    for (int m = 0; m < k; m++) {
      fwd_out_t *o = &t->out[idx[m]];
      uint32_t len = out_len(o);
      int to_peer = o->niov == 1;
      if (m >= sent && s->backlog_bytes + len > FWD_BACKLOG) {
        o->acct->fwd.drops++;
        continue;
      }
      if (m >= sent) append_backlog(s, o->niov == 2 ? o->hdr : NULL, o->niov == 2 ? 4 : 0, o->iov[o->niov - 1].iov_base, (uint32_t)o->iov[o->niov - 1].iov_len, &o->to, o->tlen);
      if (to_peer) {
        o->acct->fwd.to_peers++;
        o->acct->fwd.bytes_to_peers += len;
      } else {
        o->acct->fwd.to_clients++;
        o->acct->fwd.bytes_to_clients += len - 4;
      }
    }
  }
  t->nout = 0;
}

static void fwd_free(ctx_t *c) {
  if (c->fwd == NULL) {
    quota_free(c);
    return;
  }
  free(c->fwd->r);
  free(c->fwd->fb);
  free(c->fwd->rb);
  free(c->fwd);
  c->fwd = NULL;
  quota_free(c);
}
