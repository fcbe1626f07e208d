/*
 * Batched UDP I/O for Node on Linux: recvmmsg/sendmmsg behind natkit's UdpSocket (see
 * src/node/batch-udp-socket.ts). Pure Node-API plus four libuv calls (the node binary exports
 * both), no thread: each socket is a non-blocking fd watched by a uv_poll handle on the main loop.
 *
 * Receive: when a socket is readable, recvmmsg fills the shared arena (BATCH slots of SLOT bytes)
 * and its metadata, then ONE call into JS, dispatch(id, count), delivers the batch; repeated while
 * full batches come, at most MAX_ROUNDS times per wake-up (fairness between sockets).
 * Send: send() copies the datagram into a staging area shared by all sockets; the staging is
 * flushed with one sendmmsg per socket (and 64 datagrams) in the loop's check phase (after the
 * poll callbacks) and prepare phase (before the loop blocks), or when it is full. What the kernel
 * refuses with EAGAIN moves to the socket's backlog, sent when the fd is writable; the JS side
 * bounds it (SendQueueLimit). Other send errors are queued and delivered as dispatch(id, -errno).
 * Every length is checked here; nothing from the network or from JS can overrun a buffer.
 * A socket with ChannelData routes (udp-forward.c, the TURN fast path) first relays the batch's
 * routed datagrams itself; JS is called only for what is left (consumed datagrams: length -2).
 */
#define _GNU_SOURCE
#include <node_api.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "uv-min.h"
#include "scoped-address.h"

#define BATCH 64
#define SLOT 65536             /* > 65507, the largest UDP payload: no datagram is truncated */
#define META_INTS 4            /* per datagram: length, port, IPv4 address, family */
#define TEXT 64                /* per datagram: IPv6 address text, with a zone (46 + IF_NAMESIZE) */
#define STAGE_BYTES (256 * 1024)
#define STAGE_MAX 1024
#define MAX_ROUNDS 4
#define MAX_ERRORS 64
#define SLOT_BITS 24

typedef struct pend_s {
  struct pend_s *next;
  struct sockaddr_storage addr;
  socklen_t alen;
  uint32_t len;
  uint8_t data[];
} pend_t;

typedef struct ctx_s ctx_t;

typedef struct sock_s {
  ctx_t *ctx;
  int64_t id;
  int fd;
  int family;
  int closing;
  int events;
  int spurious;
  void *poll;
  pend_t *head, *tail;
  double backlog_bytes;
  uint32_t lroutes, sroutes; /* first route as listener / as relay socket (udp-forward.c); 0: none */
  struct { double to_peers, bytes_to_peers, to_clients, bytes_to_clients, drops; } fwd; /* as relay socket */
} sock_t;

typedef struct {
  int64_t id;
  uint32_t off, len;
  struct sockaddr_storage addr;
  socklen_t alen;
} stage_t;

struct ctx_s {
  napi_env env;
  uv_loop_t *loop;
  napi_ref dispatch;
  napi_ref resource;
  napi_ref arena_ref, meta_ref;
  napi_async_context async;
  uint8_t *arena;
  int32_t *meta;
  char *text;
  sock_t **socks;
  uint32_t nsocks, gen;
  void *prepare, *check;
  uint8_t *stage;
  uint32_t stage_used, nstage;
  stage_t ent[STAGE_MAX];
  struct { int64_t id; int err; } errors[MAX_ERRORS];
  int nerrors;
  struct mmsghdr msgs[BATCH];
  struct iovec iov[BATCH];
  struct sockaddr_storage names[BATCH];
  struct fwd_s *fwd; /* the ChannelData routes (udp-forward.c), made by the first setRoute */
  struct quota_s *quota; /* their bandwidth quotas (udp-quota.c) */
};

static sock_t *find(ctx_t *c, int64_t id) {
  uint32_t slot = (uint32_t)(id & ((1 << SLOT_BITS) - 1));
  if (id < 0 || slot >= c->nsocks) return NULL;
  sock_t *s = c->socks[slot];
  return s != NULL && s->id == id && !s->closing ? s : NULL;
}

/* Calls dispatch(id, n) as a top-level callback (microtasks run after it, as after dgram's). */
static void call_js(ctx_t *c, int64_t id, int n) {
  napi_env env = c->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value fn, recv, argv[2], result;
  if (napi_get_reference_value(env, c->dispatch, &fn) == napi_ok && napi_get_reference_value(env, c->resource, &recv) == napi_ok &&
      napi_create_int64(env, id, &argv[0]) == napi_ok && napi_create_int32(env, n, &argv[1]) == napi_ok) {
    if (napi_make_callback(env, c->async, recv, fn, 2, argv, &result) == napi_pending_exception) {
      napi_value e;
      if (napi_get_and_clear_last_exception(env, &e) == napi_ok) napi_fatal_exception(env, e);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void queue_error(ctx_t *c, int64_t id, int err) {
  if (c->nerrors < MAX_ERRORS) {
    c->errors[c->nerrors].id = id;
    c->errors[c->nerrors++].err = err;
  }
}

static void deliver_errors(ctx_t *c) {
  int n = c->nerrors;
  for (int i = 0; i < n && i < MAX_ERRORS; i++) {
    if (find(c, c->errors[i].id) != NULL) call_js(c, c->errors[i].id, -c->errors[i].err);
  }
  /* errors queued while delivering wait for the next phase */
  memmove(c->errors, c->errors + n, (size_t)(c->nerrors - n) * sizeof c->errors[0]);
  c->nerrors -= n;
}

static void on_poll(void *handle, int status, int events);

static void set_events(sock_t *s, int events) {
  if (s->events == events || s->closing) return;
  s->events = events;
  uv_poll_start(s->poll, events, on_poll);
}

/* Appends `pre` (plen bytes, may be none) + `data` as one datagram to the socket's backlog. */
static void append_backlog(sock_t *s, const uint8_t *pre, uint32_t plen, const uint8_t *data, uint32_t len, const struct sockaddr_storage *addr, socklen_t alen) {
  pend_t *p = malloc(sizeof(pend_t) + plen + len);
  if (p == NULL) return; /* out of memory: dropped, like a full queue */
  p->next = NULL;
  len += plen;
  p->len = len;
  p->alen = alen;
  if (alen > 0) memcpy(&p->addr, addr, alen);
  if (plen > 0) memcpy(p->data, pre, plen);
  memcpy(p->data + plen, data, len - plen);
  if (s->tail != NULL) s->tail->next = p;
  else s->head = p;
  s->tail = p;
  s->backlog_bytes += len;
  set_events(s, UV_READABLE | UV_WRITABLE);
}

/* One sendmmsg run over msgs[0..k); returns the index of the first unsent message (k: all). */
static int send_run(sock_t *s, struct mmsghdr *msgs, int k) {
  ctx_t *c = s->ctx;
  int sent = 0;
  for (int guard = 0; sent < k && guard < 2 * BATCH + 2; guard++) {
    int r = sendmmsg(s->fd, msgs + sent, (unsigned)(k - sent), MSG_DONTWAIT);
    if (r > 0) sent += r;
    else if (r < 0 && errno == EINTR) continue;
    else if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) break;
    else {
      queue_error(c, s->id, r < 0 ? errno : EIO);
      sent++; /* that datagram is lost, as with dgram: go on with the next */
    }
  }
  return sent;
}

static void fill_msg(ctx_t *c, int i, uint8_t *data, uint32_t len, struct sockaddr_storage *addr, socklen_t alen) {
  c->iov[i].iov_base = data;
  c->iov[i].iov_len = len;
  memset(&c->msgs[i].msg_hdr, 0, sizeof c->msgs[i].msg_hdr);
  c->msgs[i].msg_hdr.msg_iov = &c->iov[i];
  c->msgs[i].msg_hdr.msg_iovlen = 1;
  c->msgs[i].msg_hdr.msg_name = alen > 0 ? addr : NULL;
  c->msgs[i].msg_hdr.msg_namelen = alen;
}

/* Sends everything staged, grouped per socket (order kept per socket). */
static void flush_stage(ctx_t *c) {
  for (uint32_t i = 0; i < c->nstage; i++) {
    if (c->ent[i].id < 0) continue;
    sock_t *s = find(c, c->ent[i].id);
    int64_t id = c->ent[i].id;
    uint32_t j = i;
    while (j < c->nstage) {
      int k = 0;
      uint32_t idx[BATCH];
      for (; j < c->nstage && k < BATCH; j++) {
        if (c->ent[j].id != id) continue;
        c->ent[j].id = -1;
        if (s == NULL) continue;
        idx[k] = j;
        fill_msg(c, k++, c->stage + c->ent[j].off, c->ent[j].len, &c->ent[j].addr, c->ent[j].alen);
      }
      if (k == 0) break;
      int sent = s->head == NULL ? send_run(s, c->msgs, k) : 0;
      for (int m = sent; m < k; m++) {
        stage_t *e = &c->ent[idx[m]];
        append_backlog(s, NULL, 0, c->stage + e->off, e->len, &e->addr, e->alen);
      }
    }
  }
  c->nstage = 0;
  c->stage_used = 0;
}

static void flush_backlog(sock_t *s) {
  ctx_t *c = s->ctx;
  for (int round = 0; round < MAX_ROUNDS && s->head != NULL; round++) {
    int k = 0;
    for (pend_t *p = s->head; p != NULL && k < BATCH; p = p->next, k++) fill_msg(c, k, p->data, p->len, &p->addr, p->alen);
    int sent = send_run(s, c->msgs, k);
    for (int m = 0; m < sent; m++) {
      pend_t *p = s->head;
      s->head = p->next;
      s->backlog_bytes -= p->len;
      free(p);
    }
    if (s->head == NULL) s->tail = NULL;
    if (sent < k) return; /* EAGAIN: wait for the next writable event */
  }
  if (s->head == NULL) set_events(s, UV_READABLE);
}

static void on_phase(void *handle) {
  ctx_t *c = ((uv_handle_t *)handle)->data;
  if (c->nstage > 0) flush_stage(c);
  if (c->nerrors > 0) deliver_errors(c);
}

/* The ChannelData fast path: fwd_batch, fwd_flush, fwd_forget_sock, fwd_free. */
#include "udp-forward.c"

static void fill_meta(ctx_t *c, int i) {
  int32_t *m = c->meta + i * META_INTS;
  struct sockaddr_storage *a = &c->names[i];
  m[0] = (c->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 ? -1 : (int32_t)c->msgs[i].msg_len;
  if (a->ss_family == AF_INET) {
    struct sockaddr_in *v4 = (struct sockaddr_in *)a;
    m[1] = ntohs(v4->sin_port);
    m[2] = (int32_t)ntohl(v4->sin_addr.s_addr);
    m[3] = 4;
  } else if (a->ss_family == AF_INET6) {
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)a;
    m[1] = ntohs(v6->sin6_port);
    m[2] = 0;
    char *text = c->text + i * TEXT;
    m[3] = inet_ntop(AF_INET6, &v6->sin6_addr, text, TEXT) == NULL ? 0 : 6;
    if (m[3] == 6) append_zone(text, TEXT, v6);
  } else {
    m[0] = -1;
    m[3] = 0;
  }
}

static void receive(sock_t *s) {
  ctx_t *c = s->ctx;
  for (int round = 0; round < MAX_ROUNDS && !s->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      c->iov[i].iov_base = c->arena + (size_t)i * SLOT;
      c->iov[i].iov_len = SLOT;
      memset(&c->msgs[i].msg_hdr, 0, sizeof c->msgs[i].msg_hdr);
      c->msgs[i].msg_hdr.msg_iov = &c->iov[i];
      c->msgs[i].msg_hdr.msg_iovlen = 1;
      c->msgs[i].msg_hdr.msg_name = &c->names[i];
      c->msgs[i].msg_hdr.msg_namelen = sizeof c->names[i];
    }
    int n = recvmmsg(s->fd, c->msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      call_js(c, s->id, -errno); /* ECONNREFUSED on a connected socket: reported, reading goes on */
      continue;
    }
    s->spurious = 0;
    int left = s->lroutes != 0 || s->sroutes != 0 ? fwd_batch(s, n) : n;
    for (int i = 0; i < n; i++)
      if (left == n || c->meta[i * META_INTS] != -2) fill_meta(c, i);
    if (left < n) fwd_flush(c);
    if (left > 0) call_js(c, s->id, n);
    if (n < BATCH) return;
  }
}

static void on_poll(void *handle, int status, int events) {
  sock_t *s = ((uv_handle_t *)handle)->data;
  if (s == NULL || s->closing) return;
  if (status < 0) {
    /* libuv stops the handle on POLLERR: read the socket's error (ICMP), then watch again */
    int err = 0;
    socklen_t len = sizeof err;
    getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
    int want = s->events;
    s->events = 0;
    if (err != 0) call_js(s->ctx, s->id, -err);
    if (s->closing) return;
    if (err == 0 && ++s->spurious > 1000) return; /* a broken fd: stop watching it */
    set_events(s, want);
    events = UV_READABLE;
  }
  if ((events & UV_WRITABLE) != 0) flush_backlog(s);
  if ((events & UV_READABLE) != 0) receive(s);
}


/* One translation unit (scripts/build-native.mjs compiles this file only): the JS-facing functions. */
#include "udp-batch-api.c"
