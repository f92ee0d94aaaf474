/* An address space's VMAs as a sorted array: lookups are a binary search and
 * the array is small and cache friendly (processes rarely have more than a
 * few hundred VMAs). Every operation that needs room reserves it before it
 * changes anything, so an -ENOMEM leaves the set as it was.
 *
 * Each vma holds one reference on its obj: a split takes one for the new
 * piece, a discarded vma (unmapped or merged away) drops its own. */
#include "kernel/mm/vma.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static bool page_aligned(uint64_t x)
{
	return !(x & (PAGE_SIZE - 1));
}

static void obj_get(const struct vma_set *s, struct mapping_obj *obj)
{
	if (obj && s->ops && s->ops->get)
		s->ops->get(obj);
}

static void obj_put(const struct vma_set *s, struct mapping_obj *obj)
{
	if (obj && s->ops && s->ops->put)
		s->ops->put(obj);
}

void vma_set_init(struct vma_set *s, const struct vma_obj_ops *ops)
{
	s->v = NULL;
	s->count = s->cap = 0;
	s->ops = ops;
}

void vma_set_destroy(struct vma_set *s)
{
	for (size_t i = 0; i < s->count; i++)
		obj_put(s, s->v[i].obj);
	free(s->v);
	vma_set_init(s, s->ops);
}

/* Index of the first vma with end > addr, or count. Ends are sorted too,
 * since vmas do not overlap. */
static size_t first_ending_after(const struct vma_set *s, uaddr_t addr)
{
	size_t lo = 0, hi = s->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct vma *vma_find(struct vma_set *s, uaddr_t addr)
{
	size_t i = first_ending_after(s, addr);

	return i < s->count && s->v[i].start <= addr ? &s->v[i] : NULL;
}

struct vma *vma_find_next(struct vma_set *s, uaddr_t addr)
{
	size_t i = first_ending_after(s, addr);

	return i < s->count ? &s->v[i] : NULL;
}

bool vma_range_free(struct vma_set *s, uaddr_t start, uaddr_t end)
{
	size_t i;

	if (start >= end)
		return true;
	i = first_ending_after(s, start);
	return i == s->count || s->v[i].start >= end;
}

/* Makes room for extra more vmas. */
static int reserve(struct vma_set *s, size_t extra)
{
	size_t need = s->count + extra, cap = s->cap ? s->cap : 8;
	struct vma *v;

	if (need <= s->cap)
		return 0;
	while (cap < need)
		cap *= 2;
	if (cap > SIZE_MAX / sizeof(*v))
		return -ENOMEM;
	v = realloc(s->v, cap * sizeof(*v));
	if (!v)
		return -ENOMEM;
	s->v = v;
	s->cap = cap;
	return 0;
}

static void insert_at(struct vma_set *s, size_t i, const struct vma *v)
{
	memmove(&s->v[i + 1], &s->v[i], (s->count - i) * sizeof(*v));
	s->v[i] = *v;
	s->count++;
}

static void remove_at(struct vma_set *s, size_t i, size_t n)
{
	memmove(&s->v[i], &s->v[i + n], (s->count - i - n) * sizeof(s->v[0]));
	s->count -= n;
}

/* Splits v[i] at addr, inside it; the caller has reserved room. */
static void split_at(struct vma_set *s, size_t i, uaddr_t addr)
{
	struct vma right = s->v[i];

	right.start = addr;
	if (right.obj)
		right.off += addr - s->v[i].start;
	s->v[i].end = addr;
	insert_at(s, i + 1, &right);
	obj_get(s, right.obj);
}

/* Moves v's start up to addr, inside it. */
static void trim_front(struct vma *v, uaddr_t addr)
{
	if (v->obj)
		v->off += addr - v->start;
	v->start = addr;
}

/* Anonymous vmas carry no offset, so only file mappings must continue. */
static bool mergeable(const struct vma *a, const struct vma *b)
{
	return a->end == b->start && a->prot == b->prot && a->flags == b->flags &&
	       a->obj == b->obj && (!a->obj || a->off + (a->end - a->start) == b->off);
}

/* Merges neighbours among v[lo..hi]. */
static void merge_range(struct vma_set *s, size_t lo, size_t hi)
{
	size_t k = lo;

	while (k < hi && k + 1 < s->count) {
		if (mergeable(&s->v[k], &s->v[k + 1])) {
			s->v[k].end = s->v[k + 1].end;
			obj_put(s, s->v[k + 1].obj);
			remove_at(s, k + 1, 1);
			hi--;
		} else {
			k++;
		}
	}
}

int vma_insert(struct vma_set *s, const struct vma *v)
{
	size_t i;
	bool left, right;

	if (!page_aligned(v->start) || !page_aligned(v->end) || v->start >= v->end)
		return -EINVAL;
	i = first_ending_after(s, v->start);
	if (i < s->count && s->v[i].start < v->end)
		return -EEXIST;
	left = i > 0 && mergeable(&s->v[i - 1], v);
	right = i < s->count && mergeable(v, &s->v[i]);
	if (left && right) {
		s->v[i - 1].end = s->v[i].end;
		obj_put(s, s->v[i].obj);
		remove_at(s, i, 1);
	} else if (left) {
		s->v[i - 1].end = v->end;
	} else if (right) {
		s->v[i].start = v->start;
		s->v[i].off = v->off;
	} else {
		if (reserve(s, 1))
			return -ENOMEM;
		insert_at(s, i, v);
		return 0;
	}
	/* Merged: the set already holds a reference on this obj. */
	obj_put(s, v->obj);
	return 0;
}

int vma_remove(struct vma_set *s, uaddr_t start, uaddr_t end)
{
	size_t i, j;

	if (!page_aligned(start) || !page_aligned(end) || start > end)
		return -EINVAL;
	i = first_ending_after(s, start);
	if (start == end || i == s->count || s->v[i].start >= end)
		return 0;
	if (s->v[i].start < start && s->v[i].end > end) {
		/* A hole in the middle: the only case that needs a new vma. */
		if (reserve(s, 1))
			return -ENOMEM;
		split_at(s, i, end);
	}
	if (s->v[i].start < start)
		s->v[i++].end = start;
	for (j = i; j < s->count && s->v[j].end <= end; j++)
		obj_put(s, s->v[j].obj);
	if (j < s->count && s->v[j].start < end)
		trim_front(&s->v[j], end);
	remove_at(s, i, j - i);
	return 0;
}

int vma_protect(struct vma_set *s, uaddr_t start, uaddr_t end, int prot)
{
	size_t i, last;
	bool split_lo, split_hi;

	if (!page_aligned(start) || !page_aligned(end) || start > end)
		return -EINVAL;
	if (start == end)
		return 0;
	i = first_ending_after(s, start);
	if (i == s->count || s->v[i].start > start)
		return -ENOMEM;
	for (last = i; s->v[last].end < end; last++)
		if (last + 1 == s->count || s->v[last + 1].start != s->v[last].end)
			return -ENOMEM;

	/* An end that already has prot needs no split. */
	split_lo = s->v[i].start < start && s->v[i].prot != prot;
	split_hi = s->v[last].end > end && s->v[last].prot != prot;
	if (reserve(s, (size_t)split_lo + split_hi))
		return -ENOMEM;
	if (split_lo) {
		split_at(s, i, start);
		i++;
		last++;
	}
	if (split_hi)
		split_at(s, last, end);
	for (size_t k = i; k <= last; k++)
		s->v[k].prot = prot;
	merge_range(s, i ? i - 1 : 0, last + 1);
	return 0;
}

int vma_find_gap(struct vma_set *s, uint64_t len, uaddr_t lo, uaddr_t hi, uaddr_t *out)
{
	uaddr_t top;
	size_t k;

	if (!len || !page_aligned(len))
		return -EINVAL;
	hi = PAGE_ALIGN_DOWN(hi);
	if (lo >= hi)
		return -ENOMEM;
	lo = PAGE_ALIGN_UP(lo);		/* cannot overflow: lo < hi */
	if (lo >= hi || hi - lo < len)
		return -ENOMEM;

	/* Walk down from the last vma starting below hi; each one bounds a gap
	 * between its end and the start of the one above it. */
	k = first_ending_after(s, hi - 1);
	if (k < s->count && s->v[k].start < hi)
		k++;
	top = hi;
	for (; k > 0; k--) {
		const struct vma *p = &s->v[k - 1];
		uaddr_t bottom = MAX(p->end, lo);

		if (top > bottom && top - bottom >= len) {
			*out = top - len;
			return 0;
		}
		top = p->start;		/* below top: vmas are sorted */
		if (top <= lo || top - lo < len)
			return -ENOMEM;
	}
	*out = top - len;
	return 0;
}
