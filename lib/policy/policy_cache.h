/*
 * policy_cache.h - directory answers remembered for a while: identity -> a small integer.
 *
 * Thread-safe (one mutex). Bounded: when full, expired entries are dropped, then the one that
 * would expire first. Callers never store temporary failures.
 */
#ifndef FAXGATE_POLICY_POLICY_CACHE_H
#define FAXGATE_POLICY_POLICY_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct policy_cache;

/* ttl 0: nothing is remembered. */
struct policy_cache *policy_cache_new(long ttl, size_t max_entries);
void policy_cache_free(struct policy_cache *c);
/* true and *value when key was stored less than ttl seconds before now. */
bool policy_cache_get(struct policy_cache *c, const char *key, time_t now, int *value);
void policy_cache_put(struct policy_cache *c, const char *key, int value, time_t now);
size_t policy_cache_count(struct policy_cache *c);

#endif
