/*
 * route_cache.c - directory answers by number, for ldap_cache_time (route_cache.h).
 *
 * A mailgate sees few distinct numbers (the DIDs of one site), so a linear array is enough; the
 * bound protects against a caller feeding it every number there is.
 */
#include "route/route_cache.h"

#include <stdlib.h>
#include <string.h>

#include "util/xalloc.h"

struct route_cache_entry {
	char *key;
	time_t stored;
	struct directory_user *users;
	size_t n;
};

struct route_cache {
	long ttl;
	size_t max;
	struct route_cache_entry *v;
	size_t n;
};

struct route_cache *route_cache_new(long ttl, size_t max_entries)
{
	struct route_cache *c = xcalloc(1, sizeof(*c));

	c->ttl = ttl > 0 ? ttl : 0;
	c->max = max_entries > 0 ? max_entries : 1;
	return c;
}

static struct directory_user *route_users_copy(const struct directory_user *u, size_t n)
{
	struct directory_user *copy = n ? xcalloc(n, sizeof(*copy)) : NULL;

	for (size_t i = 0; i < n; i++) {
		copy[i].dn = u[i].dn ? xstrdup(u[i].dn) : NULL;
		copy[i].mail = u[i].mail ? xstrdup(u[i].mail) : NULL;
		copy[i].name = u[i].name ? xstrdup(u[i].name) : NULL;
		copy[i].disabled = u[i].disabled;
	}
	return copy;
}

static void route_cache_drop(struct route_cache *c, size_t i)
{
	free(c->v[i].key);
	directory_user_list_free(c->v[i].users, c->v[i].n);
	c->v[i] = c->v[--c->n];
}

void route_cache_free(struct route_cache *c)
{
	if (!c)
		return;
	while (c->n)
		route_cache_drop(c, c->n - 1);
	free(c->v);
	free(c);
}

static bool route_cache_fresh(const struct route_cache *c, const struct route_cache_entry *e, time_t now)
{
	return now >= e->stored && now - e->stored < c->ttl;
}

bool route_cache_get(struct route_cache *c, const char *key, time_t now, struct directory_user **users,
                     size_t *n)
{
	*users = NULL;
	*n = 0;
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].key, key) != 0)
			continue;
		if (!route_cache_fresh(c, &c->v[i], now)) {
			route_cache_drop(c, i);
			return false;
		}
		*users = route_users_copy(c->v[i].users, c->v[i].n);
		*n = c->v[i].n;
		return true;
	}
	return false;
}

void route_cache_put(struct route_cache *c, const char *key, const struct directory_user *users, size_t n,
                     time_t now)
{
	if (c->ttl == 0)
		return;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0) {
			route_cache_drop(c, i);
			break;
		}
	if (c->n >= c->max) {
		for (size_t i = c->n; i-- > 0;)
			if (!route_cache_fresh(c, &c->v[i], now))
				route_cache_drop(c, i);
	}
	if (c->n >= c->max) {
		size_t oldest = 0;

		for (size_t i = 1; i < c->n; i++)
			if (c->v[i].stored < c->v[oldest].stored)
				oldest = i;
		route_cache_drop(c, oldest);
	}
	if (!c->v)
		c->v = xcalloc(c->max, sizeof(*c->v));
	c->v[c->n].key = xstrdup(key);
	c->v[c->n].stored = now;
	c->v[c->n].users = route_users_copy(users, n);
	c->v[c->n].n = n;
	c->n++;
}

size_t route_cache_count(const struct route_cache *c)
{
	return c->n;
}
