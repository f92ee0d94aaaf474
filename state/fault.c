/* AMBER_FAULT parsing and counting; see fault.h. */
#include "state/fault.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_MAX_RULES	8
#define FAULT_NAME_MAX	32

struct fault_rule {
	char name[FAULT_NAME_MAX];	/* never changes once parsed */
	unsigned long nth;		/* never changes once parsed; >= 1 */
	atomic_ulong seen;		/* occurrences counted so far */
};

enum { FAULT_UNPARSED, FAULT_NONE, FAULT_ACTIVE };

static atomic_int fault_state = FAULT_UNPARSED;
static pthread_mutex_t fault_lock = PTHREAD_MUTEX_INITIALIZER;	/* serializes parsing */
static struct fault_rule rules[FAULT_MAX_RULES];
static size_t rule_count;

/* Parses one "name[:n]" item; a malformed item is ignored rather than
 * turned into a rule that never fires silently somewhere else. */
static void parse_item(const char *item, size_t len)
{
	const char *colon = memchr(item, ':', len);
	size_t name_len = colon ? (size_t)(colon - item) : len;
	unsigned long nth = 1;
	struct fault_rule *r;

	if (name_len == 0 || name_len >= FAULT_NAME_MAX || rule_count == FAULT_MAX_RULES)
		return;
	if (colon) {
		char num[24], *end;
		size_t num_len = len - name_len - 1;

		if (num_len == 0 || num_len >= sizeof(num))
			return;
		memcpy(num, colon + 1, num_len);
		num[num_len] = 0;
		nth = strtoul(num, &end, 10);
		if (*end || nth == 0)
			return;
	}
	r = &rules[rule_count++];
	memcpy(r->name, item, name_len);
	r->name[name_len] = 0;
	r->nth = nth;
	atomic_store(&r->seen, 0);
}

static void parse_env(void)
{
	const char *env = getenv("AMBER_FAULT");

	rule_count = 0;
	while (env && *env) {
		const char *comma = strchr(env, ',');
		size_t len = comma ? (size_t)(comma - env) : strlen(env);

		parse_item(env, len);
		env = comma ? comma + 1 : NULL;
	}
	atomic_store(&fault_state, rule_count ? FAULT_ACTIVE : FAULT_NONE);
}

int fault_hit(const char *name)
{
	int state = atomic_load_explicit(&fault_state, memory_order_acquire);

	if (state == FAULT_NONE)
		return 0;
	if (state == FAULT_UNPARSED) {
		pthread_mutex_lock(&fault_lock);
		if (atomic_load(&fault_state) == FAULT_UNPARSED)
			parse_env();
		pthread_mutex_unlock(&fault_lock);
		if (atomic_load(&fault_state) == FAULT_NONE)
			return 0;
	}
	for (size_t i = 0; i < rule_count; i++) {
		struct fault_rule *r = &rules[i];

		if (strcmp(r->name, name) == 0 && atomic_fetch_add(&r->seen, 1) + 1 == r->nth)
			return -EIO;
	}
	return 0;
}

void fault_reload(void)
{
	pthread_mutex_lock(&fault_lock);
	atomic_store(&fault_state, FAULT_UNPARSED);
	pthread_mutex_unlock(&fault_lock);
}
