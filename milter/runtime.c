/*
 * runtime.c - reference-counted configuration and policy shared by the milter's sessions.
 */
#include <pthread.h>
#include <stdlib.h>

#include "fax/dialplan.h"
#include "runtime.h"
#include "util/log.h"
#include "util/xalloc.h"

static pthread_mutex_t runtime_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runtime *runtime_current;

struct runtime *runtime_load(const char *path, struct buf *err)
{
	struct runtime *rt = xcalloc(1, sizeof(*rt));

	if (conf_load(&rt->conf, path, err) < 0) {
		free(rt);
		return NULL;
	}
	if (dialplan_check_conf(&rt->conf, err) < 0 || policy_open(&rt->conf, &rt->policy, err) < 0) {
		conf_free(&rt->conf);
		free(rt);
		return NULL;
	}
	rt->refs = 1;
	return rt;
}

static void runtime_free(struct runtime *rt)
{
	policy_close(rt->policy);
	conf_free(&rt->conf);
	free(rt);
}

void runtime_install(struct runtime *rt)
{
	struct runtime *old;

	pthread_mutex_lock(&runtime_lock);
	old = runtime_current;
	runtime_current = rt;
	pthread_mutex_unlock(&runtime_lock);
	if (old)
		runtime_put(old);
}

struct runtime *runtime_get(void)
{
	struct runtime *rt;

	pthread_mutex_lock(&runtime_lock);
	rt = runtime_current;
	if (rt)
		rt->refs++;
	pthread_mutex_unlock(&runtime_lock);
	return rt;
}

void runtime_put(struct runtime *rt)
{
	int left;

	if (!rt)
		return;
	pthread_mutex_lock(&runtime_lock);
	left = --rt->refs;
	pthread_mutex_unlock(&runtime_lock);
	if (left == 0)
		runtime_free(rt);
}
