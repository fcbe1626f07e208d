/*
 * IPv6 zones (`fe80::1%eth0`, RFC 4007 §11) for udp-batch.c, as Node's dgram handles them: a
 * `%zone` on an address given to bind/connect/send becomes sin6_scope_id (an interface name or a
 * numeric index), and a received link-local source address is reported with `%ifname` (none when
 * the index has no name, as dgram does).
 */
#include <net/if.h>

/* The interface index a zone names: a decimal index or an interface name; 0: no such interface. */
static uint32_t zone_index(const char *zone) {
  size_t len = strlen(zone);
  if (len == 0 || len >= IF_NAMESIZE) return 0;
  if (strspn(zone, "0123456789") == len) {
    uint64_t n = 0;
    for (size_t i = 0; i < len; i++) n = n * 10 + (uint64_t)(zone[i] - '0'); /* len <= 15: no overflow */
    return n > UINT32_MAX ? 0 : (uint32_t)n;
  }
  return if_nametoindex(zone);
}

/*
 * Parses the text of an IPv6 literal, with an optional `%zone`, into `a` (address and scope);
 * `text` is modified (the `%` becomes NUL). 0, -EINVAL (not an IPv6 literal) or -ENODEV (no
 * interface of that name or index).
 */
static int parse_scoped_ipv6(char *text, struct sockaddr_in6 *a) {
  char *pct = strchr(text, '%');
  if (pct != NULL) *pct = '\0';
  if (inet_pton(AF_INET6, text, &a->sin6_addr) != 1) return -EINVAL;
  if (pct == NULL) return 0;
  a->sin6_scope_id = zone_index(pct + 1);
  return a->sin6_scope_id == 0 ? -ENODEV : 0;
}

/*
 * Appends `%ifname` to `text` (the address of `a`, NUL-terminated in `cap` bytes) when `a` is a
 * link-local unicast address with a scope, as Node's dgram does (node's AddressToJS); left as it
 * is when the interface has no name or the result would not fit.
 */
static void append_zone(char *text, size_t cap, const struct sockaddr_in6 *a) {
  if (!IN6_IS_ADDR_LINKLOCAL(&a->sin6_addr) || a->sin6_scope_id == 0) return;
  char name[IF_NAMESIZE];
  if (if_indextoname(a->sin6_scope_id, name) == NULL) return;
  size_t used = strlen(text);
  if (used + 1 + strlen(name) + 1 > cap) return;
  text[used] = '%';
  memcpy(text + used + 1, name, strlen(name) + 1);
}
