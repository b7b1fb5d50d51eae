/* SPDX-License-Identifier: BSD-2-Clause */
/* Check suite of the FEC policy (call_fec.c), report by report. */
#include <check.h>
#include <math.h>
#include <stdlib.h>

#include "call_fec.h"

/* RFC 3550's 8-bit fraction of a share of loss. */
static unsigned fraction(double loss)
{
    return (unsigned)lround(loss * 256.0);
}

START_TEST(test_init_validates)
{
    CallFec f;
    ck_assert_int_eq(call_fec_init(NULL, 50), -1);
    ck_assert_int_eq(call_fec_init(&f, CALL_FEC_MAX_PERCENT + 1), -1);
    ck_assert_int_eq(call_fec_init(&f, 0), 0);
    ck_assert_uint_eq(f.percentage, 0);
    ck_assert_int_eq(call_fec_init(&f, CALL_FEC_MAX_PERCENT), 0);
}
END_TEST

/* Off below 2 %, then 5 % of FEC per 1 % of loss, up to the cap. */
START_TEST(test_percentage_for_loss)
{
    ck_assert_uint_eq(call_fec_percentage_for(0.0, 50), 0);
    ck_assert_uint_eq(call_fec_percentage_for(0.019, 50), 0);
    ck_assert_uint_eq(call_fec_percentage_for(0.02, 50), 10);
    ck_assert_uint_eq(call_fec_percentage_for(0.05, 50), 25);
    ck_assert_uint_eq(call_fec_percentage_for(0.10, 50), 50);
    ck_assert_uint_eq(call_fec_percentage_for(0.20, 50), 50);
    ck_assert_uint_eq(call_fec_percentage_for(0.20, 100), 100);
    ck_assert_uint_eq(call_fec_percentage_for(1.0, 100), 100);
    ck_assert_uint_eq(call_fec_percentage_for(0.10, 0), 0);
    ck_assert_uint_eq(call_fec_percentage_for(NAN, 50), 0);
}
END_TEST

/* The media's share of the total: FEC counts inside the target. */
START_TEST(test_media_share)
{
    ck_assert_double_eq(call_fec_media_share(0), 1.0);
    ck_assert_double_eq_tol(call_fec_media_share(50), 2.0 / 3.0, 1e-12);
    ck_assert_double_eq(call_fec_media_share(100), 0.5);
}
END_TEST

/* Reports of a few packets are pooled before the loss is judged. */
START_TEST(test_pools_small_reports)
{
    CallFec f;
    ck_assert_int_eq(call_fec_init(&f, 50), 0);
    /* One lost of 5: not judged yet. */
    ck_assert_uint_eq(call_fec_on_report(&f, fraction(0.2), 5), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, 0, 5), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, 0, 5), 0);
    /* 20 packets, one lost: 5 % -> 25 %. */
    ck_assert_uint_eq(call_fec_on_report(&f, 0, 5), 25);
}
END_TEST

/* Up at once, down slowly, off again on a clean link. */
START_TEST(test_follows_loss)
{
    CallFec f;
    unsigned p, last;
    ck_assert_int_eq(call_fec_init(&f, 50), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, 0, 40), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, fraction(0.10), 40), 50);
    /* One clean report does not switch it off. */
    p = call_fec_on_report(&f, 0, 40);
    ck_assert_uint_gt(p, 35);
    ck_assert_uint_lt(p, 50);
    last = p;
    for (int i = 0; i < 40; i++) {
        p = call_fec_on_report(&f, 0, 40);
        ck_assert_uint_le(p, last);
        last = p;
    }
    ck_assert_uint_eq(p, 0);
    /* Loss comes back: protection at once. */
    ck_assert_uint_eq(call_fec_on_report(&f, fraction(0.05), 40), 25);
}
END_TEST

/* A zero cap (--fec 0) never sends FEC; bad input changes nothing. */
START_TEST(test_cap_and_bad_input)
{
    CallFec f;
    ck_assert_int_eq(call_fec_init(&f, 0), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, 255, 100), 0);
    ck_assert_int_eq(call_fec_init(&f, 50), 0);
    ck_assert_uint_eq(call_fec_on_report(&f, fraction(0.3), 0), 50);
    ck_assert_uint_eq(call_fec_on_report(&f, 256, 100), 50);
    ck_assert_uint_eq(call_fec_on_report(&f, 9999, 100), 50);
}
END_TEST

static Suite *call_fec_suite(void)
{
    Suite *s = suite_create("call_fec");
    TCase *tc = tcase_create("policy");
    tcase_add_test(tc, test_init_validates);
    tcase_add_test(tc, test_percentage_for_loss);
    tcase_add_test(tc, test_media_share);
    tcase_add_test(tc, test_pools_small_reports);
    tcase_add_test(tc, test_follows_loss);
    tcase_add_test(tc, test_cap_and_bad_input);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *runner = srunner_create(call_fec_suite());
    int failed;
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
