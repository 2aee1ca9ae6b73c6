/*
 * list.h — the one doubly-linked list, intrusive, for every room (pure,
 * header only; the shape of the Linux kernel's list.h and libuv's queue.h).
 *
 * An element embeds a `struct sg_list` (its link) and is found again from
 * the link with sg_list_entry; nothing is allocated for the list.  The list
 * itself is one more `struct sg_list`, its head, which is never an element:
 * the links form a ring through the head, so the head's next is the first
 * element and its prev the last, and inserting or removing never asks
 * whether an element is the first or the last.
 *
 *     struct conn { ...; struct sg_list link; ... };
 *     struct sg_list conns;                 (in the owner)
 *
 *     sg_list_init(&conns);                 before any other use
 *     sg_list_insert_tail(&conns, &c->link);
 *     struct sg_list *l = sg_list_first(&conns);     NULL when empty
 *     struct conn *oldest = l ? sg_list_entry(l, struct conn, link) : NULL;
 *     sg_list_remove(&c->link);
 *
 *     struct sg_list *l, *n;
 *     sg_list_foreach_safe(l, n, &conns) {  the body may remove l
 *             struct conn *c = sg_list_entry(l, struct conn, link);
 *             ...
 *     }
 *
 * Rules:
 *  - A head, and the link of an element that may be removed before it is
 *    ever inserted, must be sg_list_init'ed first: a zeroed sg_list is not
 *    an empty list (its pointers are NULL, not itself).
 *  - An element is in one list at a time through one link; an element in
 *    two lists embeds two links.
 *  - sg_list_remove leaves the link pointing at itself (unlinked): removing
 *    it again is harmless, and sg_list_linked tells whether it is in a list.
 *  - During sg_list_foreach_safe the body may remove the element at hand
 *    (even free it), but no other; to end the walk early, break.
 *  - Not locked: a list belongs to one thread at a time, like its owner.
 */
#ifndef SSRFGUARD_COMMON_LIST_H
#define SSRFGUARD_COMMON_LIST_H

#include <stddef.h>

struct sg_list {
	struct sg_list *prev, *next;
};

/* The element of type `type` whose member `member` is the link at ptr
 * (never NULL: test the link first). */
#define sg_list_entry(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/* An empty list (a head), or an unlinked element's link. */
static inline void sg_list_init(struct sg_list *l)
{
	l->prev = l->next = l;
}

/* 1 if the list at head has no element. */
static inline int sg_list_empty(const struct sg_list *head)
{
	return head->next == head;
}

/* 1 if the element's link is in a list (it was inserted and not removed
 * since); its link must have been sg_list_init'ed or inserted before. */
static inline int sg_list_linked(const struct sg_list *link)
{
	return link->next != link;
}

/* The first element's link, or NULL if the list is empty. */
static inline struct sg_list *sg_list_first(const struct sg_list *head)
{
	return head->next != head ? head->next : NULL;
}

/* The last element's link, or NULL if the list is empty. */
static inline struct sg_list *sg_list_last(const struct sg_list *head)
{
	return head->prev != head ? head->prev : NULL;
}

/* Insert the unlinked element e just after at, which is the head (e goes
 * first) or the link of an element in the list. */
static inline void sg_list_insert_after(struct sg_list *at, struct sg_list *e)
{
	e->prev = at;
	e->next = at->next;
	at->next->prev = e;
	at->next = e;
}

/* Insert the unlinked element e first. */
static inline void sg_list_insert_head(struct sg_list *head, struct sg_list *e)
{
	sg_list_insert_after(head, e);
}

/* Insert the unlinked element e last. */
static inline void sg_list_insert_tail(struct sg_list *head, struct sg_list *e)
{
	sg_list_insert_after(head->prev, e);
}

/* Take e out of its list, and leave it unlinked (pointing at itself); an
 * unlinked e stays as it is. */
static inline void sg_list_remove(struct sg_list *e)
{
	e->prev->next = e->next;
	e->next->prev = e->prev;
	e->prev = e->next = e;
}

/* Walk the list at head from first to last; pos (struct sg_list *) is each
 * element's link in turn, and tmp (struct sg_list *) holds the next one, so
 * the body may remove (or free) pos. */
#define sg_list_foreach_safe(pos, tmp, head) \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif
