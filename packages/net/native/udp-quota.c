/*
 * Bandwidth quotas of the ChannelData fast path: a byte token bucket per allocation and direction
 * (0: to the peer, 1: to the client), shared by its routes and by the JS path (takeQuota), with
 * the semantics of packages/turn/src/allocation/bandwidth.ts: `rate` bytes/s sustained, a burst of
 * max(rate, 64 KiB), refilled on each take. A route whose quota refuses a datagram hands it to JS,
 * which asks the same bucket again (and drops it, counted, when it still refuses).
 * Ids carry a generation like socket ids; the table is bounded (MAX_QUOTAS). Included by udp-forward.c.
 */
#define MAX_QUOTAS (1u << 20)
#define QUOTA_BITS 20

typedef struct {
  int64_t id; /* 0: free */
  uint32_t next; /* free list */
  double rate, burst;
  double tokens[2], at[2]; /* at < 0: never taken */
} quota_t;

struct quota_s {
  quota_t *q; /* q[0] unused */
  uint32_t cap, top, count, free_head, gen;
};

static double now_ms_f(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static quota_t *find_quota(ctx_t *c, int64_t id) {
  if (c->quota == NULL || id <= 0) return NULL;
  uint32_t i = (uint32_t)(id & (MAX_QUOTAS - 1));
  if (i == 0 || i >= c->quota->top) return NULL;
  quota_t *q = &c->quota->q[i];
  return q->id == id ? q : NULL;
}

/* Takes n bytes in direction dir at now (ms); 1 when within the rate, 0 when over (nothing taken). */
static int quota_take(quota_t *q, int dir, double n, double now) {
  if (q->at[dir] >= 0) {
    double t = q->tokens[dir] + (now - q->at[dir]) / 1000.0 * q->rate;
    q->tokens[dir] = t < q->burst ? t : q->burst;
  }
  q->at[dir] = now;
  if (q->tokens[dir] < n) return 0;
  q->tokens[dir] -= n;
  return 1;
}

/* A new quota's id, or -errno. */
static int64_t quota_create(ctx_t *c, double rate) {
  if (c->quota == NULL && (c->quota = calloc(1, sizeof *c->quota)) == NULL) return -ENOMEM;
  struct quota_s *t = c->quota;
  if (t->count >= MAX_QUOTAS - 1) return -ENOSPC;
  uint32_t i = t->free_head;
  if (i != 0) {
    t->free_head = t->q[i].next;
  } else {
    if (t->top >= t->cap) {
      uint32_t cap = t->cap == 0 ? 64 : t->cap * 2;
      if (cap > MAX_QUOTAS) cap = MAX_QUOTAS;
      if (cap <= t->top) return -ENOSPC;
      quota_t *q = realloc(t->q, (size_t)cap * sizeof *q);
      if (q == NULL) return -ENOMEM;
      memset(q + t->cap, 0, (size_t)(cap - t->cap) * sizeof *q);
      t->q = q;
      t->cap = cap;
    }
    if (t->top == 0) t->top = 1;
    i = t->top++;
  }
  t->gen = (t->gen + 1) & 0x3fffffff;
  if (t->gen == 0) t->gen = 1;
  double burst = rate > 65536 ? rate : 65536;
  t->q[i] = (quota_t){.id = ((int64_t)t->gen << QUOTA_BITS) | i, .rate = rate, .burst = burst, .tokens = {burst, burst}, .at = {-1, -1}};
  t->count++;
  return t->q[i].id;
}

static void quota_delete(ctx_t *c, quota_t *q) {
  struct quota_s *t = c->quota;
  uint32_t i = (uint32_t)(q->id & (MAX_QUOTAS - 1));
  memset(q, 0, sizeof *q);
  q->next = t->free_head;
  t->free_head = i;
  t->count--;
}

static void quota_free(ctx_t *c) {
  if (c->quota == NULL) return;
  free(c->quota->q);
  free(c->quota);
  c->quota = NULL;
}
