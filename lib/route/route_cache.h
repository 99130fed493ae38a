/*
 * route_cache.h - what the directory said about a number, remembered for ldap_cache_time: the
 * users found (with their disabled flag), or that there were none. A temporary failure is never
 * stored. Bounded: when full, expired answers go first, then the oldest.
 *
 * One mailgate asks from one thread; the cache has no lock.
 */
#ifndef FAXGATE_ROUTE_ROUTE_CACHE_H
#define FAXGATE_ROUTE_ROUTE_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "directory/directory.h"

struct route_cache;

/* ttl 0: nothing is remembered. */
struct route_cache *route_cache_new(long ttl, size_t max_entries);
void route_cache_free(struct route_cache *c);
/*
 * true when key's answer was stored less than ttl seconds before now: *users a new copy (NULL
 * when there were none; free with directory_user_list_free), *n their number.
 */
bool route_cache_get(struct route_cache *c, const char *key, time_t now, struct directory_user **users,
                     size_t *n);
/* Store a copy of the answer for key (n 0: nobody has the number). */
void route_cache_put(struct route_cache *c, const char *key, const struct directory_user *users, size_t n,
                     time_t now);
size_t route_cache_count(const struct route_cache *c);

#endif
