/*
 * policy_cache.c - a bounded, expiring hash table for the directory answers of policy_check.
 *
 * Keys are identities the MTA vouched for (logins, senders from trusted networks), so the table
 * grows only with real users; the bound still holds against a client cycling through addresses.
 */
#include "policy/policy_cache.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

#define CACHE_BUCKETS 4096

struct cache_entry {
	struct cache_entry *next;
	time_t expires;
	int value;
	char key[];
};

struct policy_cache {
	pthread_mutex_t lock;
	long ttl;
	size_t max, count;
	struct cache_entry *bucket[CACHE_BUCKETS];
};

/* FNV-1a. */
static size_t cache_hash(const char *key)
{
	uint32_t h = 2166136261u;

	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h % CACHE_BUCKETS;
}

struct policy_cache *policy_cache_new(long ttl, size_t max_entries)
{
	struct policy_cache *c = xcalloc(1, sizeof(*c));

	pthread_mutex_init(&c->lock, NULL);
	c->ttl = ttl;
	c->max = max_entries ? max_entries : 1;
	return c;
}

void policy_cache_free(struct policy_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < CACHE_BUCKETS; i++)
		for (struct cache_entry *e = c->bucket[i], *next; e; e = next) {
			next = e->next;
			free(e);
		}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* Drop what has expired; when nothing has, drop the entry that expires first. Lock held. */
static void cache_make_room(struct policy_cache *c, time_t now)
{
	struct cache_entry **oldest = NULL;

	for (size_t i = 0; i < CACHE_BUCKETS; i++) {
		for (struct cache_entry **pp = &c->bucket[i]; *pp;) {
			struct cache_entry *e = *pp;
			if (e->expires <= now) {
				*pp = e->next;
				free(e);
				c->count--;
				continue;
			}
			if (!oldest || e->expires < (*oldest)->expires)
				oldest = pp;
			pp = &e->next;
		}
	}
	if (c->count >= c->max && oldest) {
		struct cache_entry *e = *oldest;
		*oldest = e->next;
		free(e);
		c->count--;
	}
}

bool policy_cache_get(struct policy_cache *c, const char *key, time_t now, int *value)
{
	bool hit = false;

	if (c->ttl <= 0)
		return false;
	pthread_mutex_lock(&c->lock);
	for (struct cache_entry *e = c->bucket[cache_hash(key)]; e; e = e->next)
		if (strcmp(e->key, key) == 0) {
			hit = e->expires > now;
			*value = e->value;
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return hit;
}

void policy_cache_put(struct policy_cache *c, const char *key, int value, time_t now)
{
	size_t h = cache_hash(key), len = strlen(key);
	struct cache_entry *e;

	if (c->ttl <= 0)
		return;
	pthread_mutex_lock(&c->lock);
	for (e = c->bucket[h]; e; e = e->next)
		if (strcmp(e->key, key) == 0)
			break;
	if (!e) {
		if (c->count >= c->max)
			cache_make_room(c, now);
		e = xmalloc(sizeof(*e) + len + 1);
		memcpy(e->key, key, len + 1);
		e->next = c->bucket[h];
		c->bucket[h] = e;
		c->count++;
	}
	e->value = value;
	e->expires = now + c->ttl;
	pthread_mutex_unlock(&c->lock);
}

size_t policy_cache_count(struct policy_cache *c)
{
	size_t n;

	pthread_mutex_lock(&c->lock);
	n = c->count;
	pthread_mutex_unlock(&c->lock);
	return n;
}
