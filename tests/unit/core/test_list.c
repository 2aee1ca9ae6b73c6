/* test_list.c — the one intrusive doubly-linked list (common/list.h). */
#include "test.h"

#include <stdlib.h>

#include "common/list.h"

typedef struct item {
	int id;
	double pad;           /* the link is not the first member */
	struct sg_list link;
} item;

/* The ids of the list, first to last, as "1,2,3"; the ring is also walked
 * backwards from the head, and must be the same list reversed. */
static const char *ids(const struct sg_list *head)
{
	static char out[128];
	int fwd[16], n = 0;
	size_t w = 0;
	out[0] = '\0';
	for (const struct sg_list *l = head->next; l != head && n < 16; l = l->next) {
		fwd[n] = sg_list_entry(l, item, link)->id;
		w += (size_t)snprintf(out + w, sizeof out - w, "%s%d", n ? "," : "", fwd[n]);
		n++;
	}
	int back = n;
	for (const struct sg_list *l = head->prev; l != head && back > 0; l = l->prev)
		if (sg_list_entry(l, item, link)->id != fwd[--back])
			return "broken: backwards differs";
	return back == 0 ? out : "broken: backwards is longer";
}

TEST(an_initialised_head_is_empty)
{
	struct sg_list h;
	sg_list_init(&h);
	CHECK(sg_list_empty(&h));
	CHECK(sg_list_first(&h) == NULL);
	CHECK(sg_list_last(&h) == NULL);
	CHECK_STR(ids(&h), "");
	struct sg_list *l, *n;
	int visits = 0;
	sg_list_foreach_safe(l, n, &h)
		visits++;
	CHECK_INT(visits, 0);
}

TEST(insert_tail_keeps_arrival_order_and_head_reverses_it)
{
	item a = {.id = 1}, b = {.id = 2}, c = {.id = 3};
	struct sg_list h;
	sg_list_init(&h);
	sg_list_insert_tail(&h, &a.link);
	sg_list_insert_tail(&h, &b.link);
	sg_list_insert_tail(&h, &c.link);
	CHECK_STR(ids(&h), "1,2,3");
	CHECK(!sg_list_empty(&h));
	CHECK(sg_list_entry(sg_list_first(&h), item, link) == &a);
	CHECK(sg_list_entry(sg_list_last(&h), item, link) == &c);

	sg_list_init(&h);
	sg_list_insert_head(&h, &a.link);
	sg_list_insert_head(&h, &b.link);
	sg_list_insert_head(&h, &c.link);
	CHECK_STR(ids(&h), "3,2,1");
	CHECK(sg_list_entry(sg_list_first(&h), item, link) == &c);
	CHECK(sg_list_entry(sg_list_last(&h), item, link) == &a);
}

TEST(insert_after_places_in_the_middle)
{
	item a = {.id = 1}, b = {.id = 2}, c = {.id = 3}, d = {.id = 4};
	struct sg_list h;
	sg_list_init(&h);
	sg_list_insert_after(&h, &a.link);      /* after the head: first */
	sg_list_insert_after(&a.link, &c.link); /* after the last: last */
	sg_list_insert_after(&a.link, &b.link); /* between two */
	sg_list_insert_after(&c.link, &d.link);
	CHECK_STR(ids(&h), "1,2,3,4");
	CHECK(sg_list_entry(sg_list_last(&h), item, link) == &d);
}

TEST(remove_first_middle_last_and_only)
{
	item it[5];
	struct sg_list h;
	sg_list_init(&h);
	for (int i = 0; i < 5; i++) {
		it[i].id = i + 1;
		sg_list_insert_tail(&h, &it[i].link);
	}
	sg_list_remove(&it[0].link);
	CHECK_STR(ids(&h), "2,3,4,5");
	sg_list_remove(&it[2].link);
	CHECK_STR(ids(&h), "2,4,5");
	sg_list_remove(&it[4].link);
	CHECK_STR(ids(&h), "2,4");
	CHECK(sg_list_entry(sg_list_last(&h), item, link) == &it[3]);
	sg_list_remove(&it[1].link);
	sg_list_remove(&it[3].link);
	CHECK_STR(ids(&h), "");
	CHECK(sg_list_empty(&h));
	CHECK(sg_list_first(&h) == NULL && sg_list_last(&h) == NULL);
}

TEST(a_removed_link_is_unlinked_and_removing_again_is_harmless)
{
	item a = {.id = 1}, b = {.id = 2};
	struct sg_list h;
	sg_list_init(&h);
	sg_list_init(&a.link);
	CHECK(!sg_list_linked(&a.link));
	sg_list_remove(&a.link); /* never inserted: nothing happens */
	CHECK(!sg_list_linked(&a.link));
	sg_list_insert_tail(&h, &a.link);
	sg_list_insert_tail(&h, &b.link);
	CHECK(sg_list_linked(&a.link));
	sg_list_remove(&a.link);
	CHECK(!sg_list_linked(&a.link));
	CHECK(a.link.next == &a.link && a.link.prev == &a.link);
	sg_list_remove(&a.link);
	CHECK_STR(ids(&h), "2");
	sg_list_insert_head(&h, &a.link); /* and it can go in again */
	CHECK_STR(ids(&h), "1,2");
}

TEST(foreach_safe_visits_each_once_while_the_body_frees_it)
{
	struct sg_list h;
	sg_list_init(&h);
	for (int i = 1; i <= 6; i++) {
		item *x = calloc(1, sizeof *x);
		if (!x)
			return;
		x->id = i;
		sg_list_insert_tail(&h, &x->link);
	}
	struct sg_list *l, *n;
	int seen = 0, sum = 0;
	sg_list_foreach_safe(l, n, &h) { /* free the even ones */
		item *x = sg_list_entry(l, item, link);
		seen++;
		sum += x->id;
		if (x->id % 2 == 0) {
			sg_list_remove(l);
			free(x);
		}
	}
	CHECK_INT(seen, 6);
	CHECK_INT(sum, 21);
	CHECK_STR(ids(&h), "1,3,5");
	sg_list_foreach_safe(l, n, &h) { /* and then all */
		sg_list_remove(l);
		free(sg_list_entry(l, item, link));
	}
	CHECK(sg_list_empty(&h));
}

TEST(an_element_in_two_lists_has_two_links)
{
	struct two {
		struct sg_list by_age;
		int id;
		struct sg_list by_peer;
	} x = {.id = 7}, y = {.id = 8};
	struct sg_list age, peer;
	sg_list_init(&age);
	sg_list_init(&peer);
	sg_list_insert_tail(&age, &x.by_age);
	sg_list_insert_tail(&age, &y.by_age);
	sg_list_insert_head(&peer, &x.by_peer);
	sg_list_insert_head(&peer, &y.by_peer);
	CHECK_INT(sg_list_entry(sg_list_first(&age), struct two, by_age)->id, 7);
	CHECK_INT(sg_list_entry(sg_list_first(&peer), struct two, by_peer)->id, 8);
	sg_list_remove(&x.by_age); /* the other list is untouched */
	CHECK_INT(sg_list_entry(sg_list_first(&age), struct two, by_age)->id, 8);
	CHECK_INT(sg_list_entry(sg_list_last(&peer), struct two, by_peer)->id, 7);
}

TEST_MAIN(an_initialised_head_is_empty, insert_tail_keeps_arrival_order_and_head_reverses_it,
          insert_after_places_in_the_middle, remove_first_middle_last_and_only,
          a_removed_link_is_unlinked_and_removing_again_is_harmless,
          foreach_safe_visits_each_once_while_the_body_frees_it,
          an_element_in_two_lists_has_two_links)
